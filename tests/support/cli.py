"""The ``chaufferie`` command run as a user runs it: a child process of this interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def check_config(path: Path) -> subprocess.CompletedProcess[str]:
    """``chaufferie check-config PATH``: its exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "chaufferie.cli", "check-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
