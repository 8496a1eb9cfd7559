"""Nothing the demo writes is readable by other local users, whatever the umask it started with.

The real ``chaufferie demo`` (simulator process included) runs under umask 022 in a scratch
folder until its HMI answers and a real browser (headless Chromium) has logged in, then stops
on Ctrl-C; every file and folder
it created under its data folder must then be closed to group and others (files 0600, folders
0700) — NiceGUI's session storage included, in the data folder and not in the current directory.
The OPC UA private keys are 0600 even when a caller (a test, a tool) keeps a loose umask, and
every ``chaufferie`` command (a backup here) writes under umask 077.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chaufferie.cli import main
from chaufferie.plc_bridge.opcua_security import Pki, ensure_client_certificate
from chaufferie.simulations.security import ensure_certificate
from tests.conftest import free_port, require_tool
from tests.support.browser import CONNECTED

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]


def _open_to_others(root: Path) -> list[str]:
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(root)} {oct(mode)}")
    return found


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, within_s: float = 120) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the demo did not answer on {url}:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def _log_in_as_admin(base: str, log: Path) -> None:
    """A real browser logs in with the password the demo printed: NiceGUI stores the session."""
    from playwright.sync_api import sync_playwright

    executable = require_tool("chromium", "a real login into the demo's HMI")
    found = re.search(r"admin +mot de passe / password: (\S+)", log.read_text(encoding="utf-8"))
    assert found, log.read_text(encoding="utf-8")[-3000:]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox"])
        page = browser.new_page(locale="fr-FR")
        page.goto(f"{base}/login?next=/")
        page.wait_for_function(CONNECTED)
        page.get_by_label("Identifiant").fill("admin")
        page.get_by_label("Mot de passe").fill(found.group(1))
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base}/")
        browser.close()


def test_demo_under_umask_022_creates_nothing_readable_by_others(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAUFFERIE_", "TWILIO_"))}
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chaufferie.cli", "demo", "--data-dir", str(data), "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: os.umask(0o022),
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", proc, log)
        _log_in_as_admin(f"http://127.0.0.1:{port}", log)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the demo did not stop within 60 s of Ctrl-C:\n{log.read_text()[-3000:]}")
    created = sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file())
    assert "demo-secrets.json" in created
    assert "sim/pki/sim-server-key.pem" in created
    assert "pki/client_key.pem" in created
    assert "chaufferie.db" in created
    assert [name for name in created if name.startswith("hmi/storage-user-")], created
    assert not (tmp_path / ".nicegui").exists()
    assert _open_to_others(data) == [], created


async def test_opcua_private_keys_are_0600_even_under_umask_022(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        server_key, _ = await ensure_certificate(tmp_path / "sim" / "pki")
        await ensure_client_certificate(Pki(tmp_path / "pki", tmp_path / "pki" / "trusted"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "pki" / "client_key.pem").stat().st_mode) == 0o600


async def test_a_backup_is_0600_under_umask_022_and_the_callers_umask_comes_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "chaufferie.db") as db:
        db.execute("create table t (x)")
    old = os.umask(0o022)
    try:
        assert main(["backup", "--data-dir", str(data), str(tmp_path / "save.db")]) == 0
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "save.db").stat().st_mode) == 0o600
