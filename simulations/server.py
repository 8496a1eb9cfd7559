"""Serve a plant model as its two PLCs would: Modbus TCP (boiler) and OPC UA (hydraulics).

Owns: :class:`SimulatorServers`, the async context manager that starts one server per link of
the config on 127.0.0.1, steps the plant (on a :class:`~chaufferie.config.clock.ScaledClock`
at ``speed`` × real time from ``anchor``, or only when told) and publishes every point after
each step, OPC UA values stamped with the plant's time. The test-friendly API (used by our
tests and by the PLC-bridge's comm-loss tests)::

    async with SimulatorServers(cfg, plant, modbus_port=p1, opcua_port=p2,
                                data_dir=tmp, speed=None) as sim:   # speed=None: manual steps
        await sim.step(60)                      # advance 60 model seconds and publish
        sim.plant.inject("VIS-BLQ")             # any fault of simulations.faults.FAULTS
        sim.apply_scenario("wood-fault")        # a named scenario (timeline from t = 0)
        sim.force("buffer.temp_top", math.nan)  # serve an engineering value (NaN, sentinel…)
        sim.force_raw("wood.outlet_temp", [0x8000])   # or raw registers (Modbus points)
        sim.unforce("buffer.temp_top")
        await sim.stop_server("boiler")         # connection refused until…
        await sim.start_server("boiler")
        sim.silence("boiler", True)             # Modbus: connected but no answer (hung PLC)
        await sim.publish()                     # push forced values / faults now
        sim.opcua_endpoint("hydraulic"), sim.server_certificate   # where to connect, what to pin
        sim.trust_client(Path("client.der"))    # let this client certificate open sessions
        await sim.command("inject PMP-BAS")     # the runtime command language (below)

Security: the OPC UA server offers only the link's SignAndEncrypt policies, opens sessions
only for client certificates of its trust list (``<data_dir>/pki/trusted-clients/``, see
:mod:`.security`) on a signed and encrypted channel, and checks user name and password against
the environment variables the link names (``username_env`` / ``password_env``); it refuses to
start when they are missing. Its key and certificate are generated on first run into
``<data_dir>/pki/``; ``sim-server-cert.der`` is the certificate a client pins. Faults that cut
a link (COM-API, COM-HYD, the ``comm-loss`` scenario) stop that
link's server until they clear; COM-CPT serves the heat meter's nodes with a Bad status.

Runtime commands (write a String to ``Sim.Command`` in namespace ``urn:chaufferie:simulator`` of
the OPC UA server; the answer appears in ``Sim.Status``), one per write::

    scenario NAME | inject CODE | clear CODE | clear all | force POINT VALUE | unforce POINT
    deliver [KG] | empty-ash | speed X [MODEL_ISO WALL_UNIX] | meter KEY FAULT | status

May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

from chaufferie.config.clock import Anchor, ScaledClock
from chaufferie.config.points import MbusLink, ModbusLink, OpcUaLink
from chaufferie.config.settings import PlantConfig
from chaufferie.simulations import commands
from chaufferie.simulations.meters import MbusGatewayServer
from chaufferie.simulations.modbus_server import ModbusPlcServer, RegisterMap
from chaufferie.simulations.opcua_server import OpcUaPlcServer
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.security import SERVER_CERT, trust_client
from chaufferie.simulations.tags import unknown_points

log = logging.getLogger(__name__)

Value = float | int | bool
DEFAULT_TICK_S = 0.5
MIN_TICK_S = 0.05


class SimulatorServers:
    """The plant's PLC servers on loopback, stepping the plant at ``speed`` × real time."""

    def __init__(
        self,
        cfg: PlantConfig,
        plant: Plant | None = None,
        *,
        modbus_port: int | None = None,
        opcua_port: int | None = None,
        mbus_port: int | None = None,
        data_dir: str | Path | None = None,
        speed: float | None = 1.0,
        tick_s: float = DEFAULT_TICK_S,
        anchor: Anchor | None = None,
    ) -> None:
        self.cfg = cfg
        self.plant = plant or Plant(cfg)
        self.plant.fallback.wall = time.monotonic  # a PLC's timers count real seconds
        self.clock: ScaledClock | None = None
        if speed or anchor is not None:
            self.clock = ScaledClock(anchor or Anchor(datetime.now(UTC), time.time(), speed or 1.0))
        self.tick_s = tick_s
        self.data_dir = Path(data_dir) if data_dir is not None else Path(cfg.data_dir)
        self.pki_dir = self.data_dir / "pki"
        self.forced: dict[str, Value] = {}
        self.modbus: dict[str, ModbusPlcServer] = {}
        self.opcua: dict[str, OpcUaPlcServer] = {}
        self.mbus: dict[str, MbusGatewayServer] = {}
        self._manually_down: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._t0 = time.monotonic()
        self._build(modbus_port, opcua_port, mbus_port)
        unknown = unknown_points(cfg)
        if unknown:
            log.warning(
                "%d point(s) have no model value in the simulator, served as 0: %s",
                len(unknown),
                ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else ""),
            )

    def _build(self, modbus_port: int | None, opcua_port: int | None, mbus_port: int | None) -> None:
        for name, link in self.cfg.links.items():
            points = self.cfg.points_of(name)
            if isinstance(link, ModbusLink):
                port = modbus_port if modbus_port is not None and not self.modbus else link.port
                self.modbus[name] = ModbusPlcServer(name, RegisterMap(points), self._write, port)
            elif isinstance(link, OpcUaLink):
                default = urlparse(link.endpoint).port or 4840
                port = opcua_port if opcua_port is not None and not self.opcua else default
                self.opcua[name] = OpcUaPlcServer(
                    name, link, points, self._write, port, self.pki_dir, self.command
                )
            elif isinstance(link, MbusLink) and link.host is not None:  # a serial bus is not served
                port = mbus_port if mbus_port is not None and not self.mbus else link.port
                self.mbus[name] = MbusGatewayServer(name, self.plant.meters, port)

    # ---- lifespan ---------------------------------------------------------------------
    async def __aenter__(self) -> SimulatorServers:
        try:
            for name in self.cfg.links:
                await self.start_server(name)
            await self.publish()
        except BaseException:
            await self.aclose()
            raise
        if self.clock is not None:
            self._task = asyncio.create_task(self._run(), name="simulator-steps")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for name in self.cfg.links:
            await self._stop(name)

    async def serve_forever(self) -> None:
        """Until cancelled (the ``chaufferie sim`` command)."""
        await asyncio.Event().wait()

    @property
    def speed(self) -> float | None:
        """Model seconds per wall second (None: stepped by hand)."""
        return self.clock.speed if self.clock is not None else None

    async def _run(self) -> None:
        """Step the plant to follow the clock; ticks shorten at high speed (≤ one model step)."""
        assert self.clock is not None  # noqa: S101  (started only with a clock)
        clock = self.clock
        last = clock.monotonic()
        while True:
            await asyncio.sleep(min(self.tick_s, max(MIN_TICK_S, self.plant.step_s / clock.speed)))
            now = clock.monotonic()
            try:
                self.plant.step(now - last)
                await self.publish()
            except Exception:
                log.exception("simulator step failed: the plant stops here")
                raise
            last = now

    # ---- test API ---------------------------------------------------------------------
    async def step(self, seconds: float) -> None:
        """Advance the plant ``seconds`` of model time, then publish."""
        self.plant.step(seconds)
        await self.publish()

    def apply_scenario(self, name: str) -> None:
        self.plant.apply_scenario(name)

    def force(self, point: str, value: Value) -> None:
        """Serve ``value`` (engineering units) for ``point`` instead of the model's."""
        self.cfg.point(point)
        self.forced[point] = value

    def force_raw(self, point: str, registers: list[int]) -> None:
        """Serve these raw registers (or bit) for a Modbus ``point``."""
        for server in self.modbus.values():
            if any(p.name == point for p in server.context.registers.points):
                server.context.registers.raw_overrides[point] = list(registers)
                return
        raise KeyError(f"'{point}' is not a Modbus point")

    def unforce(self, point: str) -> None:
        self.forced.pop(point, None)
        for server in self.modbus.values():
            server.context.registers.raw_overrides.pop(point, None)

    async def stop_server(self, link: str) -> None:
        """Stop ``link``'s server (connections refused) until :meth:`start_server`."""
        self._manually_down.add(link)
        await self._stop(link)

    async def start_server(self, link: str) -> None:
        self._manually_down.discard(link)
        if link in self.modbus:
            await self.modbus[link].start()
        elif link in self.opcua:
            await self.opcua[link].start()
        elif link in self.mbus:
            await self.mbus[link].start()
        elif link not in self.cfg.links:
            raise KeyError(f"unknown link '{link}'")

    def silence(self, link: str, silent: bool) -> None:
        """Modbus only: keep the connection but stop answering (True), or answer again."""
        self.modbus[link].silence(silent)

    def opcua_endpoint(self, link: str) -> str:
        return self.opcua[link].endpoint

    def modbus_port(self, link: str) -> int:
        return self.modbus[link].port

    def mbus_port(self, link: str) -> int:
        return self.mbus[link].port

    @property
    def server_certificate(self) -> Path:
        """The OPC UA server's certificate (DER), for clients to pin."""
        return self.pki_dir / SERVER_CERT

    def trust_client(self, cert_file: Path) -> Path:
        """Add a client certificate to the OPC UA server's trust list (effective at the next session)."""
        return trust_client(self.pki_dir, cert_file)

    async def command(self, text: str) -> str:
        """Run one runtime command (see the module docstring); returns the answer."""
        answer = commands.run(self, text)
        await self.publish()
        log.info("sim command %r: %s", text, answer)
        return answer

    # ---- publishing -------------------------------------------------------------------
    async def _stop(self, link: str) -> None:
        if link in self.modbus:
            await self.modbus[link].stop()
        elif link in self.opcua:
            await self.opcua[link].stop()
        elif link in self.mbus:
            await self.mbus[link].stop()

    async def _follow_links(self) -> None:
        for name in self.cfg.links:
            server = self._server(name)
            if server is None:
                continue
            up = name not in self.plant.links_down and name not in self._manually_down
            if up and not server.running:
                log.info("link %s back (fault cleared)", name)
                await server.start()
            elif not up and server.running:
                log.info("link %s cut (fault injected)", name)
                await server.stop()

    def _server(self, link: str) -> ModbusPlcServer | OpcUaPlcServer | MbusGatewayServer | None:
        return self.modbus.get(link) or self.opcua.get(link) or self.mbus.get(link)

    def values(self) -> dict[str, Value]:
        """Every served value: the model's, the PLC heartbeats (wall seconds), forced values."""
        values: dict[str, Any] = self.plant.snapshot()
        beat = int(time.monotonic() - self._t0)
        for link in self.cfg.links.values():
            if isinstance(link, ModbusLink | OpcUaLink) and link.heartbeat_point:
                values[link.heartbeat_point] = beat % 65536
        values.update(self.forced)
        return values

    async def publish(self) -> None:
        """Push the plant's current values to every running server."""
        await self._follow_links()
        values = self.values()
        for m in self.modbus.values():
            m.context.registers.load(values)
        bad = self.plant.bad_points()
        now = self.clock.now() if self.clock is not None else None
        for o in self.opcua.values():
            await o.publish(values, bad, now, self.speed or 0.0)

    def _write(self, point: str, value: Value) -> bool:
        """A client's write reaching the PLC."""
        ok = self.plant.write(point, value)
        if ok:
            log.info("write %s = %r", point, value)
        return ok
