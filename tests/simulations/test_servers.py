"""The simulator's PLC servers, read and written with the real pymodbus and asyncua clients."""

from __future__ import annotations

import math

import pytest
from asyncua import ua
from pymodbus.client import AsyncModbusTcpClient

from chaufferie.config.points import DataType, ModbusSource, ModbusTable, OpcUaSource, Point
from chaufferie.simulations.server import SimulatorServers
from chaufferie.simulations.wood import WoodState
from tests.simulations.conftest import ClientFactory

_PYMODBUS_TYPES = {
    DataType.INT16: AsyncModbusTcpClient.DATATYPE.INT16,
    DataType.UINT16: AsyncModbusTcpClient.DATATYPE.UINT16,
    DataType.INT32: AsyncModbusTcpClient.DATATYPE.INT32,
    DataType.UINT32: AsyncModbusTcpClient.DATATYPE.UINT32,
    DataType.FLOAT32: AsyncModbusTcpClient.DATATYPE.FLOAT32,
    DataType.FLOAT64: AsyncModbusTcpClient.DATATYPE.FLOAT64,
}

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _read_modbus(client: AsyncModbusTcpClient, point: Point) -> float | bool:
    src = point.source
    assert isinstance(src, ModbusSource)
    if src.table is ModbusTable.COIL:
        return bool((await client.read_coils(src.address, count=1)).bits[0])
    if src.table is ModbusTable.DISCRETE_INPUT:
        return bool((await client.read_discrete_inputs(src.address, count=1)).bits[0])
    read = (
        client.read_input_registers
        if src.table is ModbusTable.INPUT_REGISTER
        else client.read_holding_registers
    )
    regs = (await read(src.address, count=src.count)).registers
    if src.bit is not None:
        return bool(regs[0] >> src.bit & 1)
    raw = client.convert_from_registers(regs, _PYMODBUS_TYPES[src.type], word_order=src.word_order.value)
    assert isinstance(raw, int | float)
    return float(raw) * src.scale + src.offset


def _modbus_points(sim: SimulatorServers) -> list[Point]:
    return [p for p in sim.cfg.points if isinstance(p.source, ModbusSource)]


def _opcua_points(sim: SimulatorServers) -> list[Point]:
    return [p for p in sim.cfg.points if isinstance(p.source, OpcUaSource)]


async def test_modbus_serves_every_point_of_the_map_as_the_model_has_it(sim: SimulatorServers) -> None:
    await sim.step(600)
    values = sim.values()
    async with AsyncModbusTcpClient("127.0.0.1", port=sim.modbus_port("boiler")) as client:
        for point in _modbus_points(sim):
            got = await _read_modbus(client, point)
            want = values[point.name]
            src = point.source
            assert isinstance(src, ModbusSource)
            tolerance = (
                abs(src.scale) if src.type is not DataType.FLOAT32 else 1e-3 * max(1.0, abs(float(want)))
            )
            assert abs(float(got) - float(want)) <= tolerance, point.name


async def test_opcua_serves_every_point_with_its_configured_type(
    sim: SimulatorServers, secure_client: ClientFactory
) -> None:
    await sim.step(600)
    values = sim.values()
    async with await secure_client() as client:
        idx = await client.get_namespace_index(sim.cfg.links["hydraulic"].namespace_uri)  # type: ignore[union-attr]
        for point in _opcua_points(sim):
            assert isinstance(point.source, OpcUaSource)
            node = client.get_node(ua.NodeId(point.source.node, idx))
            dv = await node.read_data_value()
            assert dv.Value.VariantType.name == point.source.type.value, point.name
            assert dv.ServerTimestamp is not None
            want = values[point.name]
            assert float(dv.Value.Value) == pytest.approx(float(want), abs=1e-3), point.name


async def test_modbus_command_points_reach_the_plant(sim: SimulatorServers) -> None:
    async with AsyncModbusTcpClient("127.0.0.1", port=sim.modbus_port("boiler")) as client:
        assert not (await client.write_register(0, 700)).isError()  # wood.setpoint 70.0 °C
        assert sim.plant.wood.setpoint_c == pytest.approx(70.0)
        await sim.step(3 * 3600)
        assert sim.plant.buffer.temp_c == pytest.approx(70.0, abs=1.5)
        assert not (await client.write_coil(2, True)).isError()  # screw.reverse_test
        assert sim.plant.feed.test_running
        assert not (await client.write_coil(3, True)).isError()  # screw.cutoff
        await sim.step(900)
        assert sim.plant.wood.state is WoodState.FAULT
        assert not (await client.write_coil(3, False)).isError()
        assert not (await client.write_coil(1, True)).isError()  # wood.fault_reset
        assert sim.plant.wood.state is WoodState.OFF
        assert not (await client.write_coil(0, False)).isError()  # wood.enable
        await sim.step(60)
        assert not sim.plant.wood.enable
        assert sim.plant.wood.state is WoodState.OFF
        assert (await client.read_coils(1, count=1)).bits[0] is False  # the pulse reads back released


async def test_modbus_refuses_out_of_bounds_and_read_only_writes(sim: SimulatorServers) -> None:
    async with AsyncModbusTcpClient("127.0.0.1", port=sim.modbus_port("boiler")) as client:
        out_of_bounds = await client.write_register(0, 1000)  # 100.0 °C > max 90
        assert out_of_bounds.isError()
        assert out_of_bounds.exception_code == 3  # ILLEGAL VALUE
        unmapped = await client.write_register(40, 1)
        assert unmapped.isError()
        assert unmapped.exception_code == 2  # ILLEGAL ADDRESS
    assert sim.plant.wood.setpoint_c == pytest.approx(75.0)


async def test_opcua_command_points_reach_the_plant(
    sim: SimulatorServers, secure_client: ClientFactory
) -> None:
    async with await secure_client() as client:
        idx = await client.get_namespace_index("urn:chaufferie:plant")
        await client.get_node(ua.NodeId("Oil.Enable", idx)).write_value(True)
        oil_setpoint = ua.Variant(71.5, ua.VariantType.Double)
        await client.get_node(ua.NodeId("Oil.Setpoint", idx)).write_value(oil_setpoint)
        await client.get_node(ua.NodeId("Pumps.Duty", idx)).write_value(ua.Variant(2, ua.VariantType.UInt16))
        assert sim.plant.oil.enable
        assert sim.plant.oil.setpoint_c == 71.5
        assert sim.plant.pumps.duty == 2
        sim.plant.inject("FIO-DEF")
        await sim.step(60)
        sim.plant.oil.cause_fault = False  # repaired on site: the lockout stays until reset
        await sim.step(60)
        assert sim.plant.oil.fault
        await client.get_node(ua.NodeId("Oil.FaultReset", idx)).write_value(True)
        assert not sim.plant.oil.fault
        await sim.step(10)
        assert await client.get_node(ua.NodeId("Pumps.P2.Running", idx)).read_value() is True
        assert await client.get_node(ua.NodeId("Pumps.P1.Running", idx)).read_value() is False


async def test_opcua_refuses_writes_to_read_only_nodes(
    sim: SimulatorServers, secure_client: ClientFactory
) -> None:
    async with await secure_client() as client:
        idx = await client.get_namespace_index("urn:chaufferie:plant")
        with pytest.raises(ua.UaStatusCodeError):
            await client.get_node(ua.NodeId("Buffer.TempTop", idx)).write_value(20.0)
    assert sim.plant.buffer.temp_c > 60


async def test_heat_meter_nodes_turn_bad_when_the_meter_stops_answering(
    sim: SimulatorServers, secure_client: ClientFactory
) -> None:
    async with await secure_client() as client:
        idx = await client.get_namespace_index("urn:chaufferie:plant")
        energy = client.get_node(ua.NodeId("Meter.Energy", idx))
        assert (await energy.read_data_value()).StatusCode.is_good()
        sim.plant.inject("COM-CPT")
        await sim.step(10)
        bad = await energy.read_data_value(raise_on_bad_status=False)
        assert bad.StatusCode.is_bad()
        temp = await client.get_node(ua.NodeId("Buffer.TempTop", idx)).read_data_value()
        assert temp.StatusCode.is_good()
        sim.plant.clear("COM-CPT")
        await sim.step(10)
        assert (await energy.read_data_value()).StatusCode.is_good()


async def test_forced_values_are_served_raw(sim: SimulatorServers, secure_client: ClientFactory) -> None:
    sim.force("buffer.temp_top", math.nan)
    sim.force("wood.outlet_temp", -3276.8)
    await sim.publish()
    async with AsyncModbusTcpClient("127.0.0.1", port=sim.modbus_port("boiler")) as client:
        assert (await client.read_input_registers(3, count=1)).registers == [0x8000]
    async with await secure_client() as client:
        idx = await client.get_namespace_index("urn:chaufferie:plant")
        assert math.isnan(await client.get_node(ua.NodeId("Buffer.TempTop", idx)).read_value())
    sim.unforce("buffer.temp_top")
    sim.unforce("wood.outlet_temp")
    await sim.publish()
    assert sim.values()["buffer.temp_top"] == pytest.approx(75.0, abs=2)


async def test_stopped_modbus_server_refuses_then_answers_again(sim: SimulatorServers) -> None:
    port = sim.modbus_port("boiler")
    await sim.stop_server("boiler")
    client = AsyncModbusTcpClient("127.0.0.1", port=port, retries=0, reconnect_delay=0)
    assert not await client.connect()
    client.close()
    await sim.start_server("boiler")
    async with AsyncModbusTcpClient("127.0.0.1", port=port) as again:
        assert (await again.read_input_registers(0, count=1)).registers[0] == int(sim.plant.wood.state)


async def test_comm_loss_fault_cuts_the_link_until_cleared(sim: SimulatorServers) -> None:
    port = sim.modbus_port("boiler")
    sim.plant.inject("COM-API")
    await sim.step(10)
    client = AsyncModbusTcpClient("127.0.0.1", port=port, retries=0, reconnect_delay=0)
    assert not await client.connect()
    client.close()
    sim.plant.clear("COM-API")
    await sim.step(10)
    async with AsyncModbusTcpClient("127.0.0.1", port=port) as again:
        assert not (await again.read_input_registers(0, count=1)).isError()


async def test_sim_command_node_runs_commands_and_reports(
    sim: SimulatorServers, secure_client: ClientFactory
) -> None:
    async with await secure_client() as client:
        sidx = await client.get_namespace_index("urn:chaufferie:simulator")
        await client.get_node(ua.NodeId("Sim.Command", sidx)).write_value("inject PMP-BAS")
        assert "PMP-BAS" in sim.plant.faults
        assert (await client.get_node(ua.NodeId("Sim.Status", sidx)).read_value()).startswith("ok")
        await client.get_node(ua.NodeId("Sim.Command", sidx)).write_value("explode now")
        assert (await client.get_node(ua.NodeId("Sim.Status", sidx)).read_value()).startswith("error")


async def test_the_meter_command_silences_garbles_and_replaces_one_m_bus_meter(
    sim: SimulatorServers, secure_client: ClientFactory
) -> None:
    school = sim.plant.meters.meters["ecole"]
    request = bytes([0x10, 0x5B, school.primary, (0x5B + school.primary) & 0xFF, 0x16])  # REQ_UD2
    gateway = sim.mbus["meters"].gateway
    async with await secure_client() as client:
        sidx = await client.get_namespace_index("urn:chaufferie:simulator")
        command = client.get_node(ua.NodeId("Sim.Command", sidx))
        status = client.get_node(ua.NodeId("Sim.Status", sidx))

        async def send(line: str) -> str:
            await command.write_value(line)
            answer: str = await status.read_value()
            return answer

        assert await send("meter ecole silent") == "ok meter ecole silent"
        assert gateway.feed(request) == b""
        assert await send("meter ecole garbled") == "ok meter ecole garbled"
        frame = gateway.feed(request)
        assert frame[-2] != sum(frame[4:-2]) & 0xFF  # a wrong checksum
        ident = school.ident
        assert (await send("meter ecole replace 12")).startswith("ok meter ecole replaced: index 12.0")
        assert (school.index, school.ident != ident) == (12.0, True)
        assert await send("meter ecole ok") == "ok meter ecole ok"
        frame = gateway.feed(request)
        assert frame[-2] == sum(frame[4:-2]) & 0xFF
        assert (await send("meter gymnase silent")).startswith("error no meter 'gymnase'")
        assert (await send("meter ecole melted")).startswith("error unknown meter fault")
