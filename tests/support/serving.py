"""Waiting for a server started as a child process to answer on loopback."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path


def wait_serving(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 60.0) -> None:
    """Return once ``url`` answers; RuntimeError with the server's log if it died or took too long."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback test server
                return
        except OSError as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                said = log.read_text(errors="replace")
                raise RuntimeError(f"the server at {url} did not start: {said}") from exc
            time.sleep(0.2)
