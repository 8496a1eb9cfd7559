"""OPC UA source: one link's points through a secured asyncua client and one subscription.

A session (see :mod:`.opcua_security` for certificates, pinning and credentials) starts with
one batch read of every node, so the bus has the whole picture at once, then creates a
subscription at the link's publishing interval with one monitored item per point (sampling
interval from the link). Notifications carry the server's status code (→ quality) and
timestamps (source, else server).

Deadband: each point's deadband is always applied by the bridge (:mod:`.tracking`). An
absolute deadband *filter* on the server is available (``server_deadband=True``; items the
server refuses the filter for are created without it) but off by default: servers that
apply it to every change (asyncua's does) swallow a NaN (``abs(nan) > db`` is false) and a
Bad status without a value, so a failed sensor would look steady and Good. Honesty first;
the bandwidth saved is small at a plant's scale.

The session watchdog is the client's health probe, set to ``watchdog_interval_s`` (above
asyncua's 1 s default) with the link's ``session_timeout_s``, so a slow loop does not drop
a healthy session. When the client reports the connection lost (or the subscription
ends), every point turns Bad and stale at once, the link goes *down*, and the source builds
a fresh client after a bounded, jittered backoff, then re-reads and re-subscribes. The
subscription asks for a keep-alive every :data:`KEEPALIVE_S`; a server that keeps the socket
open but sends neither data nor keep-alive for two of them, and does not answer a probe
read either, is treated as lost too. A tick
on the injected clock re-publishes steady values at their heartbeat period, applies the
PLC heartbeat watch and checks the keep-alives.

Imports :mod:`chaufferie.config`, sibling modules and asyncua.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from asyncua import Client, ua
from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent, Subscription

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock, honour_lost_cancellation
from chaufferie.config.points import OpcUaLink, OpcUaSource, OpcUaType, Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkState, Quality, Scalar
from chaufferie.plc_bridge.base import LinkSource, SourceCore
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.plc_bridge.opcua_security import Pki, secure_client

log = logging.getLogger(__name__)

VARIANTS = {
    OpcUaType.BOOLEAN: ua.VariantType.Boolean,
    OpcUaType.INT16: ua.VariantType.Int16,
    OpcUaType.UINT16: ua.VariantType.UInt16,
    OpcUaType.INT32: ua.VariantType.Int32,
    OpcUaType.UINT32: ua.VariantType.UInt32,
    OpcUaType.FLOAT: ua.VariantType.Float,
    OpcUaType.DOUBLE: ua.VariantType.Double,
    OpcUaType.STRING: ua.VariantType.String,
}
_FILTER_REFUSED = {
    ua.StatusCodes.BadFilterNotAllowed,
    ua.StatusCodes.BadMonitoredItemFilterUnsupported,
    ua.StatusCodes.BadMonitoredItemFilterInvalid,
    ua.StatusCodes.BadDeadbandFilterInvalid,
}
UA_ERRORS = (OSError, TimeoutError, ua.UaError)
TICK_S = 1.0
"""Period of the tick that re-publishes heartbeats and checks the PLC counter and keep-alives."""
KEEPALIVE_S = 2.0
"""Requested keep-alive period of the subscription: a silent server is noticed within ~2 of them."""


def quality_of(status: ua.StatusCode | None) -> Quality:
    """OPC UA status code → our quality (a missing status is Good, as the spec says)."""
    if status is None or status.is_good():
        return Quality.GOOD
    if status.is_uncertain():
        return Quality.UNCERTAIN
    return Quality.BAD


def timestamp_of(value: ua.DataValue) -> datetime | None:
    """The source timestamp, else the server's, as aware UTC."""
    stamp = value.SourceTimestamp or value.ServerTimestamp
    if stamp is None:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def plain(value: Any) -> Scalar:
    """A notification's value as a Scalar (anything else as its text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class OpcUaLinkSource(LinkSource):
    """One OPC UA link: secured session, startup read, subscription, reconnects, writes."""

    def __init__(
        self,
        name: str,
        link: OpcUaLink,
        points: Iterable[Point],
        bus: Bus,
        clock: Clock,
        cfg: PlantConfig,
        rng: random.Random | None = None,
        request_timeout_s: float = 10.0,
        server_deadband: bool = False,
    ) -> None:
        self.name = name
        self.link = link
        self.points = [p for p in points if isinstance(p.source, OpcUaSource)]
        self.pki = Pki.of(cfg, link)
        self.core = SourceCore(
            name,
            self.points,
            bus,
            clock,
            heartbeat_point=link.heartbeat_point,
            heartbeat_timeout_s=link.heartbeat_timeout_s,
            backoff_initial_s=max(1.0, link.publishing_interval_ms / 1000),
            rng=rng,
        )
        self.request_timeout_s = request_timeout_s
        self.server_deadband = server_deadband
        self._client: Client | None = None
        self._node_ids: dict[str, ua.NodeId] = {}
        self._handles: dict[int, str] = {}
        self._lost: asyncio.Future[str] | None = None
        self.sessions = 0
        self.notifications = 0
        self.subscription: Subscription | None = None
        self._alive_at = 0.0

    async def close(self) -> None:
        client, self._client = self._client, None
        self.subscription = None
        if client is not None:
            with contextlib.suppress(*UA_ERRORS):
                await asyncio.wait_for(client.disconnect(), self.request_timeout_s)

    def drop_connection(self) -> None:
        """Close the transport under the client, as a network failure would (for fault tests)."""
        client = self._client
        if client is not None:
            client.uaclient.disconnect_socket()

    async def _session(self) -> None:
        client = await self._connect()
        self._lost = asyncio.get_running_loop().create_future()
        client.connection_lost_callback = self._on_lost
        try:
            namespace = await client.get_namespace_index(self.link.namespace_uri)
            self._node_ids = {p.name: node_id(p, namespace) for p in self.points}
            await self._startup_read(client)
            problems = await self._subscribe(client)
        except UA_ERRORS as exc:
            raise LinkError(f"{self.link.endpoint}: {exc!r}") from exc
        self.sessions += 1
        self.core.settle_state(problems)
        honour_lost_cancellation()  # the watch waits on other tasks, not on this one's clock
        await self._watch(self._lost, self.subscription, problems)

    async def _connect(self) -> Client:
        client = await secure_client(self.link, self.pki, self.request_timeout_s)
        try:
            await client.connect()
        except UA_ERRORS as exc:
            with contextlib.suppress(*UA_ERRORS):
                await client.disconnect()
            raise LinkError(f"cannot open a session on {self.link.endpoint}: {exc!r}") from exc
        self._client = client
        return client

    async def _on_lost(self, exc: Exception) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(f"connection lost: {exc!r}")

    async def _startup_read(self, client: Client) -> None:
        names = list(self._node_ids)
        values = await client.uaclient.read_attributes(
            [self._node_ids[n] for n in names], ua.AttributeIds.Value
        )
        for name, value in zip(names, values, strict=True):
            self._accept(name, value)

    def _accept(self, name: str, value: ua.DataValue) -> None:
        payload = value.Value.Value if value.Value is not None else None
        self.core.accept(name, plain(payload), quality_of(value.StatusCode), timestamp_of(value))

    async def _subscribe(self, client: Client) -> list[str]:
        sub = await client.create_subscription(
            self._subscription_parameters(), handler=None, queue_maxsize=100_000
        )
        self.subscription = sub
        self._alive_at = time.monotonic()
        self._handles = {}
        by_point = {p.name: p for p in self.points}
        requests = [self._item(i + 1, name, by_point[name].deadband) for i, name in enumerate(self._node_ids)]
        results = await sub.create_monitored_items(requests)
        retry = [r for r, res in zip(requests, results, strict=True) if _filter_refused(res)]
        if retry:
            for request in retry:
                request.RequestedParameters.Filter = None
            again = dict(zip([id(r) for r in retry], await sub.create_monitored_items(retry), strict=True))
            results = [again.get(id(r), res) for r, res in zip(requests, results, strict=True)]
        problems = []
        for request, result in zip(requests, results, strict=True):
            name = self._handles[request.RequestedParameters.ClientHandle]
            if isinstance(result, ua.StatusCode):
                problems.append(f"{name}: {result.name}")
                self.core.fail([name])
        return problems

    def _subscription_parameters(self) -> ua.CreateSubscriptionParameters:
        """Publishing interval from the link; a keep-alive about every :data:`KEEPALIVE_S`."""
        interval = float(self.link.publishing_interval_ms)
        params = ua.CreateSubscriptionParameters()
        params.RequestedPublishingInterval = interval
        params.RequestedMaxKeepAliveCount = max(3, math.ceil(KEEPALIVE_S * 1000 / interval))
        params.RequestedLifetimeCount = 10 * params.RequestedMaxKeepAliveCount
        params.MaxNotificationsPerPublish = 10_000
        params.PublishingEnabled = True
        params.Priority = 0
        return params

    async def _check_alive(self, sub: Subscription) -> None:
        """LinkError when the server is silent for two keep-alives (+1 s) and a probe read fails.

        The probe keeps a server that revised the keep-alive upward from being taken for a
        hung one. Real time on purpose: this measures the network and the server, not the
        plant's model.
        """
        params = sub.parameters
        keepalive_s = params.RequestedPublishingInterval * params.RequestedMaxKeepAliveCount / 1000
        silence = time.monotonic() - max(sub.last_publish_at or 0.0, self._alive_at)
        if silence <= 2 * keepalive_s + 1:
            return
        client = self._client
        if client is None:
            raise LinkError("not connected")
        try:
            await asyncio.wait_for(client.nodes.server_state.read_value(), keepalive_s + 1)
        except (TimeoutError, *UA_ERRORS) as exc:
            raise LinkError(
                f"no data nor keep-alive from {self.link.endpoint} for {silence:.0f} s: {exc!r}"
            ) from exc
        self._alive_at = time.monotonic()

    def _item(self, handle: int, name: str, deadband: float) -> ua.MonitoredItemCreateRequest:
        self._handles[handle] = name
        params = ua.MonitoringParameters()
        params.ClientHandle = handle
        params.SamplingInterval = float(self.link.sampling_interval_ms)
        params.QueueSize = 1
        params.DiscardOldest = True
        if deadband > 0 and self.server_deadband:
            params.Filter = ua.DataChangeFilter(
                Trigger=ua.DataChangeTrigger.StatusValue,
                DeadbandType=ua.DeadbandType.Absolute,
                DeadbandValue=deadband,
            )
        item = ua.MonitoredItemCreateRequest()
        item.ItemToMonitor = ua.ReadValueId(NodeId=self._node_ids[name], AttributeId=ua.AttributeIds.Value)
        item.MonitoringMode = ua.MonitoringMode.Reporting
        item.RequestedParameters = params
        return item

    async def _watch(self, lost: asyncio.Future[str], sub: Subscription | None, problems: list[str]) -> None:
        if sub is None:
            raise LinkError("no subscription")
        consume = asyncio.create_task(self._consume(sub))
        tick = asyncio.create_task(self._tick(sub, problems))
        waited: set[asyncio.Future[Any]] = {consume, tick, lost}
        try:
            done, _ = await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        finally:
            consume.cancel()
            tick.cancel()
            await asyncio.gather(consume, tick, return_exceptions=True)
        if lost in done:
            raise LinkError(lost.result())
        for task in done:
            task.result()  # re-raise what ended the session
        raise LinkError("subscription ended")

    async def _consume(self, sub: Subscription) -> None:
        async for event in sub:
            if isinstance(event, DataChangeEvent):
                name = self._handles.get(event.data.subscription_data.client_handle or 0)
                value = event.data.monitored_item.Value
                if name is not None and value is not None:
                    self.notifications += 1
                    self._accept(name, value)
            elif isinstance(event, StatusChangeEvent) and not event.notification.Status.is_good():
                raise LinkError(f"subscription status {event.notification.Status.name}")

    async def _tick(self, sub: Subscription, problems: list[str]) -> None:
        while True:
            await self.core.clock.sleep(TICK_S)
            await self._check_alive(sub)
            self.core.refresh_all()
            self.core.settle_state(problems)

    async def write(self, point: Point, value: Scalar) -> Scalar:
        """Write ``value`` with the node's variant type, read it back and return it."""
        client = self._client
        node_id = self._node_ids.get(point.name)
        if client is None or node_id is None or self.state is LinkState.DOWN:
            raise LinkError("not connected")
        node = client.get_node(node_id)
        kind = variant_type(point)
        variant = ua.Variant(coerce(value, kind), kind)
        try:
            await node.write_value(ua.DataValue(variant))
            readback = await node.read_data_value()
        except UA_ERRORS as exc:
            raise LinkError(f"write {point.name}: {exc!r}") from exc
        self._accept(point.name, readback)
        return plain(readback.Value.Value if readback.Value is not None else None)


def node_id(point: Point, namespace: int) -> ua.NodeId:
    """The string node id of ``point`` in the link's namespace."""
    src = point.source
    if not isinstance(src, OpcUaSource):
        raise LinkError(f"{point.name} is not an OPC UA point")
    return ua.NodeId(ua.String(src.node), ua.Int16(namespace))


def variant_type(point: Point) -> ua.VariantType:
    """The OPC UA variant type a write to ``point`` must carry."""
    src = point.source
    if not isinstance(src, OpcUaSource):
        raise LinkError(f"{point.name} is not an OPC UA point")
    return VARIANTS[src.type]


_INTEGER_VARIANTS = {ua.VariantType.Int16, ua.VariantType.UInt16, ua.VariantType.Int32, ua.VariantType.UInt32}


def coerce(value: Scalar, kind: ua.VariantType) -> Scalar:
    """``value`` as the Python type the variant encodes (2.0 → 2 for a UInt16 node)."""
    if kind in _INTEGER_VARIANTS and isinstance(value, float) and value.is_integer():
        return int(value)
    if (
        kind in (ua.VariantType.Float, ua.VariantType.Double)
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        return float(value)
    return value


def _filter_refused(result: int | ua.StatusCode) -> bool:
    return isinstance(result, ua.StatusCode) and result.value in _FILTER_REFUSED
