"""The deployment files: the systemd unit verifies, and it sees the modem and no other device."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from chaufferie.config.alarming import ModemSettings
from tests.conftest import require_tool

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "chaufferie.service"
RULE = REPO / "deploy" / "99-chaufferie-modem.rules"


def _settings(text: str) -> list[tuple[str, str]]:
    return [
        (k.strip(), v.strip())
        for k, v in (line.split("=", 1) for line in text.splitlines() if re.match(r"^[A-Za-z]+=", line))
    ]


def test_unit_verifies_with_systemd(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "checks the unit file as systemd reads it")
    exe = tmp_path / "chaufferie"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit = tmp_path / "chaufferie.service"
    unit.write_text(UNIT.read_text().replace("/opt/chaufferie/.venv/bin/chaufferie", str(exe)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_unit_shows_the_modem_by_its_stable_name_and_hides_the_rest_of_dev() -> None:
    settings = _settings(UNIT.read_text())
    assert ("PrivateDevices", "yes") in settings
    [link] = re.findall(r'SYMLINK\+="([^"]+)"', RULE.read_text())
    assert ("BindPaths", f"-/dev/{link}") in settings
    allowed = sorted(v for k, v in settings if k == "DeviceAllow")
    assert allowed == ["char-ttyACM rw", "char-ttyUSB rw"]
    assert ModemSettings().device == f"/dev/{link}"  # the default device is the rule's name
