"""The hydraulic module's OPC UA server: the config's nodes, served from the plant, secured.

Owns: :class:`OpcUaPlcServer` — an asyncua server on 127.0.0.1 whose endpoints are only the
link's SignAndEncrypt policies, whose sessions need a client certificate of the trust list
(:class:`.security.ClientTrust`) and are activated only on such a signed and encrypted channel,
with user name/password checked by :class:`.security.EnvUserManager` (the discovery channel
without security answers GetEndpoints, nothing more); one variable per point (namespace = the link's
``namespace_uri``, string NodeId = ``source.node``, data type from ``source.type``), writable
when the point is ``read_write`` (a client's write reaches the plant through ``sink``); values
published with server timestamps, Bad status for points whose device is down. A separate
simulator namespace (:data:`SIM_NAMESPACE`) holds ``Sim.Command`` (writable String: a command
for the simulator, see :mod:`.server`), ``Sim.Status`` (the last command's answer) and
``Sim.Speed`` (Double, read-only: the speed in force, model seconds per wall second; 0 when
the plant is stepped by hand).
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from asyncua import ua as _ua
from asyncua.common.callback import CallbackType
from asyncua.server.server import Server

from chaufferie.config.points import OpcUaLink, OpcUaSource, OpcUaType, Point, SecurityPolicy
from chaufferie.simulations.security import (
    SERVER_APP_URI,
    ClientTrust,
    EnvUserManager,
    credentials,
    ensure_certificate,
    security_policies,
)

log = logging.getLogger(__name__)
ua: Any = _ua  # asyncua's NewType-heavy stubs add nothing here but casts

SIM_NAMESPACE = "urn:chaufferie:simulator"
COMMAND_NODE = "Sim.Command"
STATUS_NODE = "Sim.Status"
SPEED_NODE = "Sim.Speed"

Value = float | int | bool
WriteSink = Callable[[str, Value], bool]
CommandHandler = Callable[[str], Awaitable[str]]

_VARIANT: dict[OpcUaType, Any] = {
    OpcUaType.BOOLEAN: ua.VariantType.Boolean,
    OpcUaType.INT16: ua.VariantType.Int16,
    OpcUaType.UINT16: ua.VariantType.UInt16,
    OpcUaType.INT32: ua.VariantType.Int32,
    OpcUaType.UINT32: ua.VariantType.UInt32,
    OpcUaType.FLOAT: ua.VariantType.Float,
    OpcUaType.DOUBLE: ua.VariantType.Double,
    OpcUaType.STRING: ua.VariantType.String,
}
_INTEGER = (OpcUaType.INT16, OpcUaType.UINT16, OpcUaType.INT32, OpcUaType.UINT32)


def to_variant(kind: OpcUaType, value: Value | str) -> Any:
    """A Variant of the node's type holding ``value`` (integers rounded, NaN kept for floats)."""
    if kind is OpcUaType.BOOLEAN:
        v: Any = bool(value)
    elif kind in _INTEGER:
        f = float(value)
        v = 0 if f != f else round(f)
    elif kind is OpcUaType.STRING:
        v = str(value)
    else:
        v = float(value)
    return ua.Variant(v, _VARIANT[kind])


class OpcUaPlcServer:
    """One OPC UA server (stop/start builds a fresh asyncua server each time)."""

    def __init__(
        self,
        name: str,
        link: OpcUaLink,
        points: Sequence[Point],
        sink: WriteSink,
        port: int,
        pki_dir: Path,
        on_command: CommandHandler | None = None,
    ) -> None:
        self.name = name
        self.link = link
        self.points = [(p, p.source) for p in points if isinstance(p.source, OpcUaSource)]
        self.sink = sink
        self.port = port
        self.pki_dir = pki_dir
        self.on_command = on_command
        self.user, self.password = credentials(link)
        self.policies = security_policies(link)
        path = urlparse(link.endpoint).path or "/"
        self.endpoint = f"opc.tcp://127.0.0.1:{port}{path}"
        self._server: Any = None
        self._nodes: dict[str, Any] = {}  # point name -> NodeId
        self._by_node: dict[Any, tuple[Point, OpcUaSource]] = {}
        self._command_id: Any = None
        self._status_id: Any = None
        self._speed_id: Any = None

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        if self._server is not None:
            return
        key, cert = await ensure_certificate(self.pki_dir)
        trust = ClientTrust(self.pki_dir)
        await trust.load()
        lab_without_security = SecurityPolicy.NONE in self.link.security_policies
        users = EnvUserManager(
            self.user, self.password, self.link.allow_anonymous_lab, None if lab_without_security else trust
        )
        server = Server(user_manager=users)
        await server.init()
        if not lab_without_security:
            server.set_certificate_validator(trust.validate)
        server.set_endpoint(self.endpoint)
        server.set_server_name(f"chaufferie simulator — {self.name}")
        await server.set_application_uri(SERVER_APP_URI)
        server.set_security_policy(self.policies)
        tokens: list[type] = [ua.UserNameIdentityToken]
        if self.link.allow_anonymous_lab:
            tokens.append(ua.AnonymousIdentityToken)
        server.set_identity_tokens(tokens)
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        await self._build_address_space(server)
        server.subscribe_server_callback(CallbackType.PostWrite, self._on_write)
        await server.start()
        self._server = server
        log.info("opc ua server '%s' listening on %s", self.name, self.endpoint)

    async def _build_address_space(self, server: Any) -> None:
        idx = await server.register_namespace(self.link.namespace_uri)
        folder = await server.nodes.objects.add_folder(ua.NodeId(self.name, idx), f"{idx}:{self.name}")
        self._nodes.clear()
        self._by_node.clear()
        for p, src in self.points:
            node_id = ua.NodeId(src.node, idx)
            var = await folder.add_variable(node_id, f"{idx}:{src.node}", to_variant(src.type, 0))
            if p.writable:
                await var.set_writable()
            self._nodes[p.name] = node_id
            self._by_node[node_id] = (p, src)
        sim_idx = await server.register_namespace(SIM_NAMESPACE)
        sim = await server.nodes.objects.add_folder(ua.NodeId("Sim", sim_idx), f"{sim_idx}:Sim")
        self._command_id = ua.NodeId(COMMAND_NODE, sim_idx)
        self._status_id = ua.NodeId(STATUS_NODE, sim_idx)
        command = await sim.add_variable(
            self._command_id, f"{sim_idx}:{COMMAND_NODE}", ua.Variant("", ua.VariantType.String)
        )
        await command.set_writable()
        await sim.add_variable(
            self._status_id, f"{sim_idx}:{STATUS_NODE}", ua.Variant("ready", ua.VariantType.String)
        )
        self._speed_id = ua.NodeId(SPEED_NODE, sim_idx)
        await sim.add_variable(
            self._speed_id, f"{sim_idx}:{SPEED_NODE}", ua.Variant(0.0, ua.VariantType.Double)
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        await server.stop()
        log.info("opc ua server '%s' stopped", self.name)

    async def publish(
        self, values: dict[str, Value], bad: frozenset[str], now: datetime | None = None, speed: float = 0.0
    ) -> None:
        """Write every point's value (or a Bad status) stamped ``now`` (the plant's time), and
        the speed in force."""
        server = self._server
        if server is None:
            return
        now = now or datetime.now(UTC)
        await server.write_attribute_value(
            self._speed_id, ua.DataValue(ua.Variant(speed, ua.VariantType.Double))
        )
        for name, node_id in self._nodes.items():
            kind = self._by_node[node_id][1].type
            if name in bad:
                dv = ua.DataValue(
                    StatusCode=ua.StatusCode(ua.StatusCodes.BadCommunicationError),
                    SourceTimestamp=now,
                    ServerTimestamp=now,
                )
            else:
                dv = ua.DataValue(
                    to_variant(kind, values.get(name, 0)),
                    SourceTimestamp=now,
                    ServerTimestamp=now,
                )
            await server.write_attribute_value(node_id, dv)

    async def _on_write(self, event: Any, dispatcher: Any) -> None:
        """A client wrote: pass each good Value write of a command point to the plant."""
        if not getattr(event, "is_external", True):
            return
        results = event.response_params or []
        for i, wv in enumerate(event.request_params.NodesToWrite):
            ok = i < len(results) and results[i].is_good()
            if not ok or wv.AttributeId != ua.AttributeIds.Value:
                continue
            value = wv.Value.Value.Value if wv.Value.Value is not None else None
            if wv.NodeId == self._command_id and self.on_command is not None:
                await self._command(str(value))
                continue
            entry = self._by_node.get(wv.NodeId)
            if entry is not None and value is not None and not self.sink(entry[0].name, value):
                log.info("write to %s refused by the plant (out of bounds)", entry[0].name)

    async def _command(self, text: str) -> None:
        if self.on_command is None:
            return
        answer = await self.on_command(text)
        if self._server is not None:
            await self._server.write_attribute_value(
                self._status_id, ua.DataValue(ua.Variant(answer, ua.VariantType.String))
            )
