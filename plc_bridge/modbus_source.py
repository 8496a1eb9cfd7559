"""Modbus TCP source: poll one link's map with the pymodbus async client.

The map is planned once (:func:`~.planning.plan_reads`): a few block reads per poll, decoded
with precompiled ``struct`` codecs. Each poll runs at the link's ``poll_s`` on the injected
clock. A Modbus exception reply for a block makes that block's points Bad (stale) and the
link *degraded*; a timeout, a refused or lost connection makes every point of the link Bad
at once and the link *down*, then the source reconnects after a bounded, jittered,
exponential backoff (reset by the first good poll). Request timeouts are the client's own
(``timeout_s``, real time: the network does not run on model time); pymodbus' automatic
reconnection and retries are switched off so that this module owns both.

Writes go through :meth:`ModbusLinkSource.write`: coils with "write single coil", a bit of a
holding register by read-modify-write, numbers with "write single/multiple registers"; the
point is then read back and the value returned for confirmation.

Imports :mod:`chaufferie.config`, sibling modules and pymodbus.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from typing import Any

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.points import ModbusLink, ModbusSource, ModbusTable, Point
from chaufferie.config.vocabulary import Quality, Scalar
from chaufferie.plc_bridge.base import LinkSource, SourceCore
from chaufferie.plc_bridge.decoding import BitField, RegisterField
from chaufferie.plc_bridge.errors import LinkError
from chaufferie.plc_bridge.planning import ReadBlock, plan_reads

log = logging.getLogger(__name__)

_READERS = {
    ModbusTable.HOLDING_REGISTER: "read_holding_registers",
    ModbusTable.INPUT_REGISTER: "read_input_registers",
    ModbusTable.COIL: "read_coils",
    ModbusTable.DISCRETE_INPUT: "read_discrete_inputs",
}


def quiet_pymodbus() -> None:
    """Silence pymodbus' per-request error lines (a hung PLC would log one per attempt) unless
    debugging: this module logs a link's loss once and its recovery once."""
    if logging.getLogger("pymodbus").getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("pymodbus.logging").setLevel(logging.CRITICAL)


class BlockRefused(Exception):
    """The server answered a block read with a Modbus exception or a short reply."""


class ModbusLinkSource(LinkSource):
    """One Modbus TCP link: planned polling, quality, reconnects and writes."""

    def __init__(
        self,
        name: str,
        link: ModbusLink,
        points: Iterable[Point],
        bus: Bus,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.link = link
        self.points = [p for p in points if isinstance(p.source, ModbusSource)]
        self.blocks = plan_reads(self.points, link.max_registers_per_read, link.max_bits_per_read)
        self.core = SourceCore(
            name,
            self.points,
            bus,
            clock,
            heartbeat_point=link.heartbeat_point,
            heartbeat_timeout_s=link.heartbeat_timeout_s,
            backoff_initial_s=link.poll_s,
            rng=rng,
        )
        self._single = {p.name: plan_reads([p])[0] for p in self.points}
        self._client: AsyncModbusTcpClient | None = None
        self._unchanged: dict[int, tuple[Any, float, Quality]] = {}
        self.polls = 0
        quiet_pymodbus()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def _session(self) -> None:
        await self._connect()
        await self._poll_every(self.link.poll_s)

    async def _connect(self) -> AsyncModbusTcpClient:
        client = AsyncModbusTcpClient(
            self.link.host,
            port=self.link.port,
            timeout=self.link.timeout_s,
            retries=0,
            reconnect_delay=0,
            name=f"chaufferie-{self.name}",
        )
        try:
            ok = await client.connect()
        except (OSError, ModbusException) as exc:
            client.close()
            raise LinkError(f"cannot connect to {self.link.host}:{self.link.port}: {exc}") from exc
        if not ok:
            client.close()
            raise LinkError(f"cannot connect to {self.link.host}:{self.link.port}")
        self._client = client
        self._unchanged.clear()
        return client

    async def poll_once(self) -> None:
        """Read every block once and publish what changed (LinkError if the link failed).

        Blocks are read one after the other: pymodbus serialises requests on a connection,
        and sending the next request before decoding the current block measured slower.
        """
        problems: list[str] = []
        for i, block in enumerate(self.blocks):
            try:
                data = await self._read(block)
            except BlockRefused as refused:
                problems.append(str(refused))
                self.core.fail(block.points)
                self._unchanged.pop(i, None)
                continue
            self._take(i, block, data)
        self.polls += 1
        self.core.settle_state(problems)

    def _take(self, index: int, block: ReadBlock, data: Any) -> None:
        """Decode and track a block, unless it is the same as last time and nothing is due.

        A block whose registers did not change, under an unchanged link quality, before any of
        its points' heartbeat is due, would publish nothing: it is not decoded again.
        """
        link_quality = self.core.link_quality()
        previous = self._unchanged.get(index)
        if (
            previous is not None
            and previous[2] is link_quality
            and self.core.clock.monotonic() < previous[1]
            and previous[0] == data
        ):
            return
        self.core.accept_many(block.decode(data))
        self._unchanged[index] = (data, self.core.next_heartbeat(block.points), link_quality)

    async def _read(self, block: ReadBlock) -> Any:
        client = self._client
        if client is None or not client.connected:
            raise LinkError("not connected")
        reader = getattr(client, _READERS[block.table])
        try:
            reply = await reader(block.start, count=block.count, device_id=self.link.unit_id)
        except (TimeoutError, ModbusException, OSError) as exc:
            raise LinkError(f"{block.table.value} {block.start}+{block.count}: {exc}") from exc
        where = f"{block.table.value} {block.start}+{block.count}"
        if reply.isError():
            raise BlockRefused(f"{where}: Modbus exception {getattr(reply, 'exception_code', '?')}")
        data = reply.bits if block.table.is_bit_table else reply.registers
        if len(data) < block.count:
            raise BlockRefused(f"{where}: short reply ({len(data)} values)")
        return data

    async def read(self, point: Point) -> Scalar:
        """Read ``point`` now (outside the poll); LinkError when the link fails."""
        block = self._single[point.name]
        try:
            data = await self._read(block)
        except BlockRefused as exc:
            raise LinkError(str(exc)) from exc
        return block.decode(data)[0][1]

    async def write(self, point: Point, value: Scalar) -> Scalar:
        """Write ``value`` (already checked against the whitelist) and return the read-back."""
        client = self._client
        if client is None or not client.connected:
            raise LinkError("not connected")
        src = point.source
        if not isinstance(src, ModbusSource) or point.name not in self._single:
            raise LinkError(f"{point.name} is not on Modbus link {self.name}")
        field = self._single[point.name].fields[0]
        unit = self.link.unit_id
        try:
            if src.table is ModbusTable.COIL:
                reply = await client.write_coil(src.address, bool(value), device_id=unit)
            elif isinstance(field, BitField):
                reply = await self._write_bit(client, src, bool(value))
            elif isinstance(field, RegisterField) and isinstance(value, int | float):
                words = field.encode(float(value))
                if len(words) == 1:
                    reply = await client.write_register(src.address, words[0], device_id=unit)
                else:
                    reply = await client.write_registers(src.address, words, device_id=unit)
            else:
                raise LinkError(f"write {point.name}: {value!r} is not a number")
        except (TimeoutError, ModbusException, OSError) as exc:
            raise LinkError(f"write {point.name}: {exc}") from exc
        if reply.isError():
            raise LinkError(f"write {point.name}: Modbus exception {getattr(reply, 'exception_code', '?')}")
        readback = await self.read(point)
        self.core.accept(point.name, readback)
        return readback

    async def _write_bit(self, client: AsyncModbusTcpClient, src: ModbusSource, value: bool) -> Any:
        unit = self.link.unit_id
        current = await client.read_holding_registers(src.address, count=1, device_id=unit)
        if current.isError():
            return current
        mask = 1 << (src.bit or 0)
        word = int(current.registers[0])
        word = word | mask if value else word & ~mask
        return await client.write_register(src.address, word, device_id=unit)
