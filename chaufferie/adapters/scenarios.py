"""The simulator's runtime control behind the HMI's ``ScenarioRunner`` port (commissioning).

The simulator is a separate process, as a real PLC would be: commands reach it the way the
commissioning engineer's tools would, by writing a text command to ``Sim.Command`` in the
simulator namespace of its OPC UA server, over the same secured channel as the bridge
(``scenario NAME``, ``speed X``, ``clear all``). Every command is audited by the HMI page.
"""

from __future__ import annotations

import asyncio

from asyncua import ua

from chaufferie.config.points import OpcUaLink
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Context
from chaufferie.hmi.ports import Outcome, Scenario
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.plc_bridge.opcua_security import Pki, secure_client
from chaufferie.simulations.opcua_server import COMMAND_NODE, SIM_NAMESPACE, STATUS_NODE
from chaufferie.simulations.scenarios import SCENARIOS


class SimulatorControl:
    """``ScenarioRunner`` that talks to a running ``chaufferie sim`` over OPC UA."""

    def __init__(self, cfg: PlantConfig, timeout_s: float = 5.0) -> None:
        links = [(name, link) for name, link in cfg.links.items() if isinstance(link, OpcUaLink)]
        if not links:
            raise ValueError("the simulator control needs an OPC UA link in the configuration")
        self._cfg = cfg
        self._link = links[0][1]
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
        return await self.send(f"speed {factor:g}")

    async def send(self, text: str) -> Outcome:
        """Write one command and return the simulator's answer."""
        async with self._lock:
            try:
                client = await secure_client(self._link, Pki.of(self._cfg, self._link), self._timeout_s)
                await client.connect()
            except (LinkError, OSError, TimeoutError, ua.UaError) as exc:
                return Outcome(False, f"simulateur injoignable / simulator unreachable: {exc}")
            try:
                index = await client.get_namespace_index(SIM_NAMESPACE)
                command = client.get_node(ua.NodeId(ua.String(COMMAND_NODE), ua.Int16(index)))
                await command.write_value(ua.DataValue(ua.Variant(text, ua.VariantType.String)))
                status = await client.get_node(
                    ua.NodeId(ua.String(STATUS_NODE), ua.Int16(index))
                ).read_value()
            except (OSError, TimeoutError, ua.UaError, ValueError) as exc:
                return Outcome(False, f"commande refusée / command refused: {exc}")
            finally:
                await client.disconnect()
        answer = str(status)
        return Outcome(not answer.lower().startswith(("error", "erreur")), answer)
