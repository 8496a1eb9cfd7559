"""``chaufferie run`` under a service manager: ready, petting the watchdog, killed when hung.

A datagram socket of the test plays systemd's notify socket (the sd_notify protocol); the test
is the process supervisor that kills and restarts a process whose watchdog goes silent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chaufferie.config.loader import default_config_path
from chaufferie.service_manager import LoopWatch, notify, watchdog_interval_s
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


class NotifySocket:
    """systemd's side of the protocol: a bound datagram socket, every message with its time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def wait_for(self, text: str, timeout_s: float, after: float = 0.0) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for at, message in list(self.messages):
                if at >= after and text in message.split("\n"):
                    return at
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout_s} s: {self.messages[-5:]}")

    def between(self, text: str, start: float, end: float) -> int:
        return sum(1 for at, m in self.messages if start <= at <= end and text in m.split("\n"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    ns = NotifySocket(tmp_path / "notify.sock")
    yield ns
    ns.close()


def test_messages_follow_the_sd_notify_protocol(notify_socket: NotifySocket) -> None:
    assert notify("READY=1\nSTATUS=test", {"NOTIFY_SOCKET": str(notify_socket.path)})
    notify_socket.wait_for("READY=1", 2)
    assert any("STATUS=test" in m for _, m in notify_socket.messages)
    assert not notify("READY=1", {})  # no service manager: nothing sent, no error
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None  # not ours
    assert watchdog_interval_s({}) is None


async def test_a_blocked_loop_stops_the_petting_and_its_stack_is_logged(
    notify_socket: NotifySocket, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"NOTIFY_SOCKET": str(notify_socket.path)}

    def hold_the_loop() -> None:
        time.sleep(1.5)  # a blocking call on the event loop, as a bug would make one

    caplog.set_level(logging.INFO, logger="chaufferie")
    async with LoopWatch(every_s=0.1, stall_s=0.5, environ=env) as watch:
        await asyncio.sleep(0.5)
        notify_socket.wait_for("WATCHDOG=1", 2)
        start = time.monotonic()
        hold_the_loop()
        end = time.monotonic()
        await asyncio.sleep(0.5)
    assert watch.stalls == 1
    assert "event loop stalled" in caplog.text
    assert "hold_the_loop" in caplog.text  # the log says which call held the loop
    # not petted while held (after the stall threshold and one watch period)
    assert notify_socket.between("WATCHDOG=1", start + 0.5 + 0.15, end) == 0
    notify_socket.wait_for("WATCHDOG=1", 2, after=end)  # and petted again once it answers


def _config(tmp_path: Path) -> Path:
    data = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    data["data_dir"] = str(tmp_path / "data")
    data["links"]["boiler"]["port"] = free_port()  # no PLC answers: the system runs all the same
    data["links"]["hydraulic"]["endpoint"] = f"opc.tcp://127.0.0.1:{free_port()}/x"
    data["hmi"]["port"] = free_port()
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_hung_chaufferie_run_is_killed_by_its_watchdog_and_restarted(
    tmp_path: Path, notify_socket: NotifySocket
) -> None:
    config = _config(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAUFFERIE_", "NOTIFY_", "WATCHDOG_"))}
    env.update(
        {
            "CHAUFFERIE_SECRET_KEY": "watchdog-test-signing-key-0123456789",
            "CHAUFFERIE_OPCUA_USER": "watchdog",
            "CHAUFFERIE_OPCUA_PASSWORD": "watchdog-test-password",
            "NOTIFY_SOCKET": str(notify_socket.path),
            "WATCHDOG_USEC": "2000000",  # WatchdogSec=2
        }
    )
    command = [sys.executable, "-m", "chaufferie.cli", "run", "--config", str(config), "--no-hmi"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    first = start()
    try:
        ready = notify_socket.wait_for("READY=1", 90)
        petted = notify_socket.wait_for("WATCHDOG=1", 5, after=ready)
        assert petted - ready <= 2.0
        first.send_signal(signal.SIGSTOP)  # hung: no event loop, no thread runs
        hung = time.monotonic()
        time.sleep(2.5)  # more than WatchdogSec
        assert notify_socket.between("WATCHDOG=1", hung + 0.2, time.monotonic()) == 0
        first.kill()  # what systemd does when the watchdog expires (SIGABRT, then SIGKILL)
        first.wait(timeout=30)
        second = start()
        try:
            notify_socket.wait_for("READY=1", 90, after=hung)
            notify_socket.wait_for("WATCHDOG=1", 5, after=time.monotonic())
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
            notify_socket.wait_for("STOPPING=1", 5, after=hung)
        finally:
            if second.poll() is None:
                second.kill()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
