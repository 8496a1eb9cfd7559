"""Modbus faults on real sockets: a server that never answers, garbage, exceptions, short replies."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import ModbusLink
from chaufferie.config.vocabulary import LinkEvent, LinkState, Quality
from chaufferie.plc_bridge.modbus_source import ModbusLinkSource
from tests.conftest import free_port
from tests.plc_bridge.conftest import eventually, running
from tests.plc_bridge.modbus_server import PlainModbusServer
from tests.plc_bridge.points import modbus_point

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
POINTS = [modbus_point("x.a", "input_register", 0), modbus_point("x.b", "input_register", 1, "float32")]


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[int]:
    """A bare TCP server on loopback running ``handler`` for each connection; yields its port."""
    port = free_port()
    server = await asyncio.start_server(handler, "127.0.0.1", port)
    try:
        yield port
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 1.0)


async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads, never answers."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(1024):
            pass
    writer.close()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request with bytes that are not Modbus."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(1024):
            writer.write(b"\xde\xad\xbe\xef" * 4)
            await writer.drain()
    writer.close()


async def short_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A well-framed reply holding one register whatever the request asked for."""
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            request = await reader.readexactly(12)
            tid, unit, function = request[0:2], request[6], request[7]
            pdu = struct.pack(">BBH", function, 2, 7)
            writer.write(tid + struct.pack(">HHB", 0, len(pdu) + 1, unit) + pdu)
            await writer.drain()
    writer.close()


def source_for(port: int, bus: Bus, clock: VirtualClock) -> ModbusLinkSource:
    link = ModbusLink(port=port, poll_s=1.0, timeout_s=0.2)
    return ModbusLinkSource("boiler", link, POINTS, bus, clock)


def all_bad(bus: Bus) -> bool:
    return all((tv := bus.latest(p.name)) is not None and tv.quality is Quality.BAD for p in POINTS)


async def test_server_that_accepts_but_never_answers_makes_the_link_down_and_points_bad(
    bus: Bus, clock: VirtualClock
) -> None:
    events = bus.subscribe(LinkEvent)
    async with raw_server(mute) as port:
        source = source_for(port, bus, clock)
        async with running(source):
            await eventually(lambda: all_bad(bus))
            await eventually(lambda: source.state is LinkState.DOWN)
    [event] = [e for e in events.drain() if isinstance(e, LinkEvent)]
    assert (event.previous, event.state) == (LinkState.CONNECTING, LinkState.DOWN)
    assert all(bus.latest(p.name).stale for p in POINTS)  # type: ignore[union-attr]


async def test_garbage_replies_are_not_taken_for_values(bus: Bus, clock: VirtualClock) -> None:
    async with raw_server(garbage) as port:
        source = source_for(port, bus, clock)
        async with running(source):
            await eventually(lambda: all_bad(bus))
            await eventually(lambda: source.state is LinkState.DOWN)
    assert all(bus.latest(p.name).value is None for p in POINTS)  # type: ignore[union-attr]


async def test_a_reply_shorter_than_asked_makes_the_block_bad_and_the_link_degraded(
    bus: Bus, clock: VirtualClock
) -> None:
    async with raw_server(short_reply) as port:
        source = source_for(port, bus, clock)
        async with running(source):
            await eventually(lambda: all_bad(bus))
            await eventually(lambda: source.state is LinkState.DEGRADED)


async def test_exception_reply_for_one_block_spares_the_others(
    modbus_server: PlainModbusServer, bus: Bus, clock: VirtualClock
) -> None:
    points = [
        modbus_point("x.ok", "holding_register", 0),
        modbus_point("x.missing", "holding_register", 5000),
    ]
    await modbus_server.set(points[0].source.table, 0, [7])  # type: ignore[union-attr]
    source = ModbusLinkSource("boiler", ModbusLink(port=modbus_server.port), points, bus, clock)
    async with running(source):
        await eventually(lambda: bus.latest("x.missing") is not None and bus.latest("x.ok") is not None)
        await eventually(lambda: source.state is LinkState.DEGRADED)
    ok, missing = bus.latest("x.ok"), bus.latest("x.missing")
    assert ok is not None
    assert ok.good
    assert ok.value == 7
    assert missing is not None
    assert missing.quality is Quality.BAD
