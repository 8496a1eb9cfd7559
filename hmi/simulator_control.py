"""The simulator's runtime control for the commissioning page.

The simulator is a separate process, as a real PLC would be: commands reach it the way the
commissioning engineer's tools would, by writing a text command to ``Sim.Command`` in the
simulator namespace of its OPC UA server, over the same secured channel as the bridge
(``scenario NAME``, ``speed X``, ``clear all``). Every command is audited by the HMI page.

One clock for plant and system: when the system runs on a
:class:`~chaufferie.config.clock.ScaledClock` (the demo), a speed change computes the new
anchor once, sends it to the simulator (``speed X MODEL_ISO WALL``) and, when the simulator
took it, applies the very same anchor to the system's clock, so the two stay one clock.
The speed shown is read back from the simulator's ``Sim.Speed`` node.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asyncua import Client, ua

from chaufferie.config.clock import Clock, ScaledClock
from chaufferie.config.points import OpcUaLink
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Context
from chaufferie.hmi.records import Outcome, Scenario
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.plc_bridge.opcua_security import Pki, secure_client
from chaufferie.simulations.opcua_server import COMMAND_NODE, SIM_NAMESPACE, SPEED_NODE, STATUS_NODE
from chaufferie.simulations.scenarios import SCENARIOS

T = TypeVar("T")
_FAILURES = (LinkError, OSError, TimeoutError, ua.UaError, ValueError)


class SimulatorControl:
    """Scenarios and speed of a running ``chaufferie sim``, over OPC UA."""

    def __init__(self, cfg: PlantConfig, clock: Clock | None = None, timeout_s: float = 5.0) -> None:
        links = [(name, link) for name, link in cfg.links.items() if isinstance(link, OpcUaLink)]
        if not links:
            raise ValueError("the simulator control needs an OPC UA link in the configuration")
        self._cfg = cfg
        self._link = links[0][1]
        self._clock = clock if isinstance(clock, ScaledClock) else None
        self._timeout_s = timeout_s
        self._lock = asyncio.Lock()

    async def scenarios(self) -> list[Scenario]:
        return [Scenario(name, f"{s.description_fr} / {s.description_en}") for name, s in SCENARIOS.items()]

    async def start(self, name: str, context: Context) -> Outcome:
        if name not in SCENARIOS:
            return Outcome(False, f"scénario inconnu / unknown scenario: {name}")
        return await self.send(f"scenario {name}")

    async def stop(self, context: Context) -> Outcome:
        return await self.send("clear all")

    async def set_speed(self, factor: float, context: Context) -> Outcome:
        """Change the simulator's speed, and the system's clock with it (see module docstring)."""
        if self._clock is None:
            return await self.send(f"speed {factor:g}")
        try:
            anchor = self._clock.rescaled(factor)
        except ValueError as exc:
            return Outcome(False, f"vitesse refusée / speed refused: {exc}")
        outcome = await self.send(f"speed {anchor.text()}")
        if outcome.ok:
            self._clock.adopt(anchor)
        return outcome

    async def current_speed(self) -> float | None:
        """``Sim.Speed`` as the simulator serves it (None: unreachable, or stepped by hand)."""

        async def read(client: Client, index: int) -> float:
            return float(await _node(client, SPEED_NODE, index).read_value())

        try:
            speed = await self._session(read)
        except _FAILURES:
            return None
        return speed if speed > 0 else None

    async def send(self, text: str) -> Outcome:
        """Write one command and return the simulator's answer."""

        async def command(client: Client, index: int) -> str:
            await _node(client, COMMAND_NODE, index).write_value(
                ua.DataValue(ua.Variant(text, ua.VariantType.String))
            )
            return str(await _node(client, STATUS_NODE, index).read_value())

        try:
            answer = await self._session(command)
        except _FAILURES as exc:
            return Outcome(
                False, f"simulateur injoignable ou commande refusée / unreachable or refused: {exc}"
            )
        return Outcome(not answer.lower().startswith(("error", "erreur")), answer)

    async def _session(self, action: Callable[[Client, int], Awaitable[T]]) -> T:
        """One secured session to the simulator for ``action`` (errors propagate)."""
        async with self._lock:
            client = await secure_client(self._link, Pki.of(self._cfg, self._link), self._timeout_s)
            await client.connect()
            try:
                return await action(client, await client.get_namespace_index(SIM_NAMESPACE))
            finally:
                await client.disconnect()


def _node(client: Client, name: str, index: int) -> Any:
    return client.get_node(ua.NodeId(ua.String(name), ua.Int16(index)))
