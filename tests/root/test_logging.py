"""The command's log: a peer that went away is a warning, a library's real error stays an error."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from chaufferie.cli import configure_logging
from pymodbus.logging import Log
configure_logging(verbose=False)
Log.transport_dump(Log.SEND_DATA, b"\\x00\\x01", None)  # pymodbus appends its last frames to an error
Log.error("Cancel send, because not connected!")
Log.error("Modbus frame check failed")
"""


def test_pymodbus_peer_gone_is_a_warning_other_errors_stay_errors() -> None:
    """Seen in `make demo` stopped one second after start: the simulator's server answered a
    bridge that had just closed, and pymodbus logged ERROR for it, with its last frames after
    the message (which made the filter miss it: the fresh-clone test on 2026-12-04)."""
    command = [sys.executable, "-c", SCRIPT]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    lines = [line.split(" ", 2)[2] for line in done.stderr.splitlines()]
    assert lines == [
        "WARNING pymodbus.logging: Cancel send, because not connected!",
        "ERROR pymodbus.logging: Modbus frame check failed",
    ]
