"""``chaufferie demo``: the simulator and the whole system on loopback, on embedded defaults.

What ``make demo`` runs. It keeps everything in one data folder (``data/demo`` unless told):
the SQLite database, the local outbox where emails land when no provider is set, the
simulator's and the bridge's certificates, and the demo's own secrets (``demo-secrets.json``,
mode 600, generated on first run — real deployments take secrets from the environment).
SMS go out through a simulated GSM modem (``data/demo/modem``, a pseudo-terminal, through the
real Gammu driver) unless the configuration names a modem of its own; what the simulated mobile
network carried is written to ``outbox/reseau-gsm.txt``.
The first run creates an administrator and a technician and prints their passwords once.

One clock for plant and system: with ``--speed X`` the simulator and the system run on the
same :class:`~chaufferie.config.clock.ScaledClock` (same anchor, same speed), so the
supervisor's delays, the alarms' delays and escalation, the historian and the HMI see the
plant's own dynamics, only faster; a speed change from the commissioning page changes both.
The PLC links keep wall-time pacing (polling, timeouts, keep-alives, heartbeats).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaufferie.commands.run import add_common_arguments, load, serve
from chaufferie.config.alarming import ModemSettings
from chaufferie.config.clock import Anchor, ScaledClock, WallPaced
from chaufferie.config.points import MbusLink, ModbusLink, OpcUaLink
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Context, Role
from chaufferie.pairing import pair_with_simulator
from chaufferie.private import close_data_dir
from chaufferie.simulations.modem import ModemSimulator
from chaufferie.simulations.scenarios import SCENARIOS
from chaufferie.wiring import Runtime, build_runtime

DEMO_TECHNICIAN = ("technicien", "tech-martin", "Julien Martin")
DEMO_SAMPLE_S = 0.1


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="simulator + system on loopback / démonstration complète"
    )
    add_common_arguments(p)
    p.set_defaults(data_dir="data/demo")
    p.add_argument("--scenario", default="nominal", choices=list(SCENARIOS), help="simulator scenario")
    p.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="plant and system speed (model s per wall s; one clock for both)",
    )
    p.set_defaults(func=run)


def _speed(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"--speed must be > 0 (got {text})")
    return value


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Ports:
    """Where the simulator serves on 127.0.0.1: its Modbus, OPC UA and M-Bus gateway ports."""

    modbus: int
    opcua: int
    mbus: int

    @classmethod
    def free(cls) -> Ports:
        return cls(_free_port(), _free_port(), _free_port())

    def arguments(self) -> list[str]:
        """The ``chaufferie sim`` options that put its servers on these ports."""
        return [
            "--modbus-port",
            str(self.modbus),
            "--opcua-port",
            str(self.opcua),
            "--mbus-port",
            str(self.mbus),
        ]


def demo_secrets(data_dir: Path) -> dict[str, str]:
    """The demo's secrets, generated once and kept (mode 600) in the data folder."""
    path = data_dir / "demo-secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    values = {
        "CHAUFFERIE_SECRET_KEY": secrets.token_urlsafe(32),
        "CHAUFFERIE_OPCUA_USER": "chaufferie",
        "CHAUFFERIE_OPCUA_PASSWORD": secrets.token_urlsafe(18),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(values, indent=2), encoding="utf-8")
    return values


def on_loopback(cfg: PlantConfig, ports: Ports) -> PlantConfig:
    """``cfg`` with its PLC links and its meters' gateway moved to the simulator's ``ports``."""
    links: dict[str, Any] = {}
    for name, link in cfg.links.items():
        if isinstance(link, ModbusLink):
            links[name] = link.model_copy(update={"host": "127.0.0.1", "port": ports.modbus})
        elif isinstance(link, OpcUaLink):
            path = link.endpoint.split("/", 3)[3] if link.endpoint.count("/") >= 3 else ""
            links[name] = link.model_copy(update={"endpoint": f"opc.tcp://127.0.0.1:{ports.opcua}/{path}"})
        elif isinstance(link, MbusLink):
            links[name] = link.model_copy(update={"host": "127.0.0.1", "port": ports.mbus, "device": None})
        else:
            links[name] = link
    return cfg.model_copy(update={"links": links})


def sampled_finely(cfg: PlantConfig) -> PlantConfig:
    """``cfg`` with its links sampled every :data:`DEMO_SAMPLE_S` at most (loopback can afford it).

    Sped up, a link polled every second of wall time would show the plant once a minute at ×60;
    at 0.1 s it is every 6 plant seconds (every minute at ×600), whatever the speed is changed to
    later. Timeouts, keep-alives and heartbeat watches are not changed: they stay in wall time.
    """
    links: dict[str, Any] = {}
    for name, link in cfg.links.items():
        if isinstance(link, ModbusLink):
            links[name] = link.model_copy(update={"poll_s": min(link.poll_s, DEMO_SAMPLE_S)})
        elif isinstance(link, OpcUaLink):
            interval = min(link.publishing_interval_ms, round(DEMO_SAMPLE_S * 1000))
            links[name] = link.model_copy(update={"publishing_interval_ms": interval})
        else:
            links[name] = link
    return cfg.model_copy(update={"links": links})


def start_simulator(
    args: argparse.Namespace,
    data_dir: Path,
    ports: Ports,
    env: dict[str, str],
    anchor: Anchor,
) -> subprocess.Popen[bytes]:
    """``chaufferie sim`` in its own process, on the system's clock (same anchor and speed)."""
    command = [
        sys.executable,
        "-m",
        "chaufferie.cli",
        "sim",
        "--scenario",
        args.scenario,
        "--speed",
        f"{anchor.speed!r}",
        "--start",
        anchor.model.isoformat(),
        "--start-wall",
        f"{anchor.wall!r}",
        *ports.arguments(),
        "--data-dir",
        str(data_dir / "sim"),
    ]
    if args.config:
        command += ["--config", args.config]
    # Its own process group: Ctrl-C reaches the demo alone, which stops the system first (inputs
    # while the simulated PLCs still answer), then the simulator (SIGTERM, in ``run``).
    return subprocess.Popen(command, env=env, process_group=0)  # noqa: S603 - our own interpreter and module


def wait_for_simulator(
    sim: subprocess.Popen[bytes], data_dir: Path, port: int, timeout_s: float = 90
) -> Path:
    """Wait until the simulator's OPC UA port answers; return its certificate to pin."""
    cert = data_dir / "sim" / "pki" / "sim-server-cert.der"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sim.poll() is not None:
            raise RuntimeError(f"the simulator exited with code {sim.returncode}")
        if cert.exists() and not _port_free("127.0.0.1", port):
            return cert
        time.sleep(0.2)
    raise RuntimeError(f"the simulator did not start within {timeout_s:.0f} s")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    close_data_dir(data_dir)
    env = {**os.environ, **demo_secrets(data_dir)}
    os.environ.update({k: v for k, v in env.items() if k.startswith(("CHAUFFERIE_", "TWILIO_"))})
    args.data_dir = str(data_dir)
    base = load(args)
    if base is None:
        return 1
    host, port = args.host or base.hmi.host, args.port or base.hmi.port
    if not _port_free(host, port):
        print(f"port {port} on {host} is taken: try `chaufferie demo --port 8081`", file=sys.stderr)
        return 1
    ports = Ports.free()
    public = base.hmi.model_copy(update={"public_url": f"http://{host}:{port}", "host": host, "port": port})
    cfg = sampled_finely(on_loopback(base, ports)).model_copy(update={"hmi": public})
    # one clock for plant and system: the simulator and the system start from the same anchor
    clock = ScaledClock(Anchor(datetime.now(UTC), time.time(), args.speed))
    sim = start_simulator(args, data_dir, ports, env, clock.anchor())
    modem: NetworkLog | None = None
    if cfg.notifiers.modem is None:
        modem = NetworkLog(ModemSimulator(data_dir / "modem"), cfg.data_path(cfg.notifiers.outbox_dir))
        cfg = with_modem(cfg, modem.sim, args.speed)
    try:
        cert = wait_for_simulator(sim, data_dir, ports.opcua)
        asyncio.run(pair_with_simulator(cfg, cert.parent))
        code = asyncio.run(
            serve(
                lambda: demo_runtime(cfg, clock, host, port),
                on_started=lambda rt: _welcome(rt, host, port),
            )
        )
    finally:
        if modem is not None:
            modem.stop()
        sim.terminate()
        try:
            sim.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sim.kill()
    return code


def with_modem(cfg: PlantConfig, sim: ModemSimulator, speed: float) -> PlantConfig:
    """``cfg`` sending its SMS through the simulated modem (polled every 10 s of wall time)."""
    settings = ModemSettings(device=str(sim.link), pin_env=None, poll_s=min(10.0 * speed, 3600.0))
    return cfg.model_copy(update={"notifiers": cfg.notifiers.model_copy(update={"modem": settings})})


class NetworkLog:
    """The demo's simulated modem, and what its mobile network carried, written to a file."""

    def __init__(self, sim: ModemSimulator, folder: Path) -> None:
        self.sim = sim.start()
        self.path = folder / "reseau-gsm.txt"
        folder.mkdir(parents=True, exist_ok=True)
        self._written = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="demo-gsm-network", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(1.0):
            self.write_new()

    def write_new(self) -> None:
        messages = [m for m in self.sim.messages() if m.complete]
        fresh, self._written = messages[self._written :], len(messages)
        if fresh:
            stamp = datetime.now(UTC).astimezone().strftime("%d/%m/%Y %H:%M:%S")
            with self.path.open("a", encoding="utf-8") as out:
                out.writelines(f"{stamp}  → {m.number}  {m.text}\n" for m in fresh)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.write_new()
        self.sim.stop()


def demo_runtime(
    cfg: PlantConfig,
    clock: ScaledClock,
    host: str | None,
    port: int | None,
    *,
    with_hmi: bool = True,
    environ: dict[str, str] | None = None,
) -> Runtime:
    """The system on the simulator's clock; its PLC links paced in wall seconds (timeouts,
    keep-alives and heartbeats are the network's, not the plant's)."""
    return build_runtime(
        cfg,
        clock=clock,
        link_clock=WallPaced(clock),
        host=host,
        port=port,
        simulator_control=True,
        with_hmi=with_hmi,
        environ=environ,
    )


def _welcome(runtime: Runtime, host: str, port: int) -> None:
    users = runtime.access.users
    lines = [f"chaufferie demo — IHM / HMI: http://{host}:{port}"]
    if not users.list():
        context = Context(origin="demo", user="system")
        admin_password = secrets.token_urlsafe(9)
        users.add("admin", Role.ADMIN, admin_password, context, display_name="Administrateur démo")
        tech_password, pin = secrets.token_urlsafe(9), f"{secrets.randbelow(10**6):06d}"
        name, contact, display = DEMO_TECHNICIAN
        users.add(
            name, Role.TECHNICIAN, tech_password, context, display_name=display, pin=pin, contact_id=contact
        )
        lines += [
            "Comptes créés (affichés une seule fois) / accounts created (shown once):",
            f"  admin       mot de passe / password: {admin_password}",
            f"  {name}  mot de passe / password: {tech_password}   PIN: {pin}",
        ]
    if isinstance(runtime.clock, ScaledClock) and runtime.clock.speed != 1:
        speed = f"×{runtime.clock.speed:g}"
        lines.append(
            f"Simulateur et système à {speed}, une seule horloge / simulator and system at {speed}, one clock"
        )
    outbox = runtime.cfg.data_path(runtime.cfg.notifiers.outbox_dir)
    sms = (
        f"SMS par le modem GSM / SMS through the GSM modem: {outbox / 'reseau-gsm.txt'}"
        if runtime.alarms.modem_watch is not None
        else f"SMS: {outbox}"
    )
    lines += [
        f"Courriels / email: {outbox}",
        sms,
        "Scénarios / scenarios: page « Mise en service » (commissioning). Ctrl-C pour arrêter / to stop.",
    ]
    print("\n".join(lines), flush=True)
