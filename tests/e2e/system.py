"""Run the simulator and ``chaufferie run`` as separate processes on loopback, as in production.

:class:`SystemUnderTest` writes a configuration for a fresh data folder (free ports, the
Twilio stand-in and the aiosmtpd server as providers, cascade delays shortened so that a
fault confirms in seconds of wall time, :data:`ON_CALL` on call from yesterday to the day after
tomorrow whatever the week of the rota), starts both processes, and offers what a test needs
to drive and observe them: simulator commands over OPC UA, the SQLite history, process
signals.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.hmi.simulator_control import SimulatorControl
from chaufferie.pairing import pair_with_simulator
from tests.conftest import free_port

FAST_CASCADE = {
    "replacement_confirm_s": 5,
    "comm_loss_s": 20,
    "startup_grace_s": 60,
    "replacement_end_run_s": 20,
    "topup_modulation_s": 10,
    "topup_drop_s": 10,
    "topup_exit_s": 10,
    "oil_min_run_s": 10,
    "oil_min_off_s": 10,
    "pump_fault_confirm_s": 5,
}


ON_CALL = "tech-martin"
"""Who the system calls during an end-to-end run (a rota exception, so not the week's parity)."""


def on_call_throughout(site_timezone: str, contact: str) -> dict[str, str]:
    """A rota exception putting ``contact`` on call from yesterday to the day after tomorrow.

    The processes run on the real clock, and the rota alternates weekly (with a handover on
    Monday morning): without it, who receives the SMS would depend on the week the test runs.
    """
    today = datetime.now(ZoneInfo(site_timezone)).date()
    start, end = today - timedelta(days=1), today + timedelta(days=2)
    return {"start": start.isoformat(), "end": end.isoformat(), "on_call": contact, "reason": "e2e"}


def write_config(
    data_dir: Path, sms: Mapping[str, Any], email: Mapping[str, Any]
) -> tuple[Path, dict[str, int]]:
    """A copy of the shipped plant for a fresh data folder; returns its path and ports."""
    data = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    ports = {"modbus": free_port(), "opcua": free_port(), "mbus": free_port(), "hmi": free_port()}
    data["data_dir"] = str(data_dir)
    data["links"]["boiler"]["port"] = ports["modbus"]
    data["links"]["hydraulic"]["endpoint"] = f"opc.tcp://127.0.0.1:{ports['opcua']}/chaufferie"
    data["links"]["meters"]["port"] = ports["mbus"]
    data["cascade"].update(FAST_CASCADE)
    data["rota"]["exceptions"] = [on_call_throughout(data["site"]["timezone"], ON_CALL)]
    data["notifiers"]["sms"] = dict(sms)
    data["notifiers"]["email"] = dict(email)
    data["notifiers"]["retry_base_s"] = 1
    data["hmi"]["port"] = ports["hmi"]
    data["hmi"]["public_url"] = f"http://127.0.0.1:{ports['hmi']}"
    path = data_dir.parent / "plant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, ports


class SystemUnderTest:
    """The simulator and the system, each in its own process."""

    def __init__(self, root: Path, config_path: Path, ports: dict[str, int], env: dict[str, str]) -> None:
        self.root = root
        self.config_path = config_path
        self.ports = ports
        self.env = env
        self.cfg: PlantConfig = load_config(config_path)
        self.sim: subprocess.Popen[bytes] | None = None
        self.run: subprocess.Popen[bytes] | None = None
        self.logs = root / "logs"
        self.logs.mkdir(exist_ok=True)
        self._log_files: list[Any] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['hmi']}"

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        self._log_files.append(log)
        command = [sys.executable, "-m", "chaufferie.cli", *args]
        return subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    async def start_simulator(self, speed: float) -> None:
        sim_dir = self.root / "sim"
        self.sim = self._spawn(
            "sim",
            "sim",
            "--config",
            str(self.config_path),
            "--data-dir",
            str(sim_dir),
            "--scenario",
            "nominal",
            "--speed",
            str(speed),
        )
        cert = sim_dir / "pki" / "sim-server-cert.der"
        await wait_for(
            lambda: cert.exists() and _listening(self.ports["opcua"]), 90, "simulator start", self.sim
        )
        await pair_with_simulator(self.cfg, sim_dir / "pki")

    async def start_system(self) -> None:
        self.run = self._spawn("run", "run", "--config", str(self.config_path))
        await wait_for(self.healthy, 90, "system start", self.run)

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    async def command(self, text: str) -> str:
        outcome = await SimulatorControl(self.cfg).send(text)
        assert outcome.ok, outcome.message
        return outcome.message

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        db = self.cfg.data_path("chaufferie.db")
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return list(conn.execute(sql, params))

    def stop_system(self, timeout_s: float = 60) -> int:
        assert self.run is not None
        self.run.send_signal(signal.SIGTERM)
        code = self.run.wait(timeout=timeout_s)
        self.run = None
        return code

    def close(self) -> None:
        for proc in (self.run, self.sim):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        for log in self._log_files:
            log.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def wait_for(
    condition: Any, timeout_s: float, what: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``condition()`` (wall time: these are real processes) until true or time out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: process exited with code {process.returncode}")
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what}: not reached within {timeout_s:.0f} s")


def base_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAUFFERIE_", "TWILIO_"))}
    env.update(extra)
    return env
