"""A plain pymodbus TCP server on loopback, for tests that need no plant model.

Holds 2000 registers/bits per table, all zero; tests set raw words with :meth:`set`.
The fault tests that need the simulator's behaviour use ``chaufferie.simulations`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from chaufferie.config.points import ModbusTable

_FUNCTION = {
    ModbusTable.COIL: 1,
    ModbusTable.DISCRETE_INPUT: 2,
    ModbusTable.HOLDING_REGISTER: 3,
    ModbusTable.INPUT_REGISTER: 4,
}
SIZE = 2000


class PlainModbusServer:
    """Start/stop a pymodbus server on 127.0.0.1:``port``; read and force its tables."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._server: ModbusTcpServer | None = None
        self._store: list[tuple[ModbusTable, int, list[int] | list[bool]]] = []

    async def start(self) -> None:
        device = ModbusDeviceContext(
            co=ModbusSequentialDataBlock(1, [False] * SIZE),
            di=ModbusSequentialDataBlock(1, [False] * SIZE),
            hr=ModbusSequentialDataBlock(1, [0] * SIZE),
            ir=ModbusSequentialDataBlock(1, [0] * SIZE),
        )
        self._server = ModbusTcpServer(ModbusServerContext(devices=device), address=("127.0.0.1", self.port))
        await self._server.serve_forever(background=True)
        for table, address, values in list(self._store):  # a restarted server keeps its values
            await self._server.context.async_setValues(0, _FUNCTION[table], address, list(values))

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def set(self, table: ModbusTable, address: int, values: Sequence[int] | Sequence[bool]) -> None:
        assert self._server is not None
        await self._server.context.async_setValues(0, _FUNCTION[table], address, list(values))
        self._store.append((table, address, list(values)))  # type: ignore[arg-type]

    async def get(self, table: ModbusTable, address: int, count: int = 1) -> list[int] | list[bool]:
        assert self._server is not None
        values = await self._server.context.async_getValues(0, _FUNCTION[table], address, count)
        assert isinstance(values, list)
        return values
