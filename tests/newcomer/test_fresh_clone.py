"""A newcomer's first minutes: clone, ``make venv``, ``make demo``, open the HMI, Ctrl-C.

The README's commands, run the way a newcomer runs them: ``git clone`` of this repository's
committed tree into a temporary folder, ``make venv`` there (pip may use its cache), then
``make demo`` on a free port (``make demo DEMO_ARGS="--port N"``). The HMI must answer on
127.0.0.1 within 60 s of starting ``make demo``, the demo must print the HMI's address and
the first accounts, and Ctrl-C (SIGINT to the process group, as a terminal sends it) must stop
everything — demo and simulator — cleanly, without a traceback or an ERROR line.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_tool

REPO = Path(__file__).resolve().parents[2]
HMI_WITHIN_S = 60.0
STOP_WITHIN_S = 60.0
VENV_WITHIN_S = 540.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(720)]


def newcomer_env() -> dict[str, str]:
    """The caller's environment without what would leak this checkout into the clone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAUFFERIE_", "MAKE", "PYTEST_"))}
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "MFLAGS", "PYTHONHOME"):
        env.pop(name, None)
    venv_bin = str(REPO / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's committed tree, cloned, with ``make venv`` done (its time printed)."""
    git = require_tool("git", "the newcomer test clones the repository")
    make = require_tool("make", "the README's commands are make targets")
    top = subprocess.run(
        [git, "-C", str(REPO), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    if top.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout: nothing to clone")
    target = tmp_path_factory.mktemp("newcomer") / "chaufferie"
    subprocess.run([git, "clone", "--quiet", top.stdout.strip(), str(target)], check=True, timeout=120)
    started = time.monotonic()
    venv = subprocess.run(
        [make, "venv"], cwd=target, env=newcomer_env(), capture_output=True, text=True, timeout=VENV_WITHIN_S
    )
    assert venv.returncode == 0, f"make venv failed:\n{venv.stdout[-3000:]}\n{venv.stderr[-3000:]}"
    print(f"\nnewcomer: make venv took {time.monotonic() - started:.0f} s")
    return target


class Demo:
    """``make demo`` running in its own process group, its output in a file."""

    def __init__(self, clone: Path, port: int) -> None:
        self.port = port
        self.log = clone / "make-demo.log"
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                ["make", "demo", f"DEMO_ARGS=--port {port}"],
                cwd=clone,
                env=newcomer_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_hmi(self, within_s: float) -> float:
        """Seconds from ``make demo`` to a 200 on /healthz (fails after ``within_s``)."""
        url = f"http://127.0.0.1:{self.port}/healthz"
        while (elapsed := time.monotonic() - self.started) < within_s:
            if self.proc.poll() is not None:
                pytest.fail(f"make demo exited with {self.proc.returncode}:\n{self.output[-4000:]}")
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return elapsed
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        pytest.fail(f"the HMI did not answer on {url} within {within_s:.0f} s:\n{self.output[-4000:]}")

    def interrupt(self, within_s: float) -> int:
        """Ctrl-C: SIGINT to the whole process group; the group must be empty within ``within_s``."""
        os.killpg(self.proc.pid, signal.SIGINT)
        code = self.proc.wait(timeout=within_s)
        deadline = time.monotonic() + within_s
        while group_alive(self.proc.pid):
            assert time.monotonic() < deadline, "a process of the demo (simulator?) outlived Ctrl-C"
            time.sleep(0.2)
        return code

    def kill(self) -> None:
        if group_alive(self.proc.pid):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def demo(clone: Path) -> Iterator[Demo]:
    running = Demo(clone, free_port())
    try:
        yield running
    finally:
        running.kill()


def test_fresh_clone_make_demo_serves_the_hmi_within_60_s_and_stops_cleanly_on_ctrl_c(demo: Demo) -> None:
    answered_after = demo.wait_for_hmi(HMI_WITHIN_S)
    print(f"newcomer: HMI answered {answered_after:.1f} s after `make demo`")
    home = httpx.get(f"http://127.0.0.1:{demo.port}/", timeout=5.0, follow_redirects=True)
    assert home.status_code == 200

    out = demo.output
    assert f"http://127.0.0.1:{demo.port}" in out
    assert "admin" in out
    assert "mot de passe / password:" in out
    assert "PIN:" in out

    code = demo.interrupt(STOP_WITHIN_S)
    out = demo.output
    # make dies of the SIGINT it receives with its children (or exits 0): never an error code
    assert code in (0, -signal.SIGINT), f"make demo ended with {code}:\n{out[-4000:]}"
    assert "Traceback" not in out, out[-4000:]
    assert " ERROR " not in out, out[-4000:]
    assert "system stopped" in out, "the staged stop did not complete"
    assert "Simulator stopped" in out, "the simulator was not stopped"
    sim_ports = [int(p) for p in re.findall(r"(?:Modbus |opc\.tcp://)127\.0\.0\.1:(\d+)", out)]
    assert sim_ports, "the demo did not say where its simulator listens"
    assert not [p for p in sim_ports if listening(p)], "the simulator still listens after Ctrl-C"
