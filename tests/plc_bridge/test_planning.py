"""Read planning: the map in as few requests as the protocol allows, never across a gap."""

from __future__ import annotations

from chaufferie.config.points import ModbusTable
from chaufferie.config.settings import PlantConfig
from chaufferie.plc_bridge.planning import plan_reads
from tests.plc_bridge.points import modbus_point


def test_default_plant_map_is_read_in_one_request_per_table(config: PlantConfig) -> None:
    blocks = plan_reads(config.points_of("boiler"))
    assert [(b.table, b.start, b.count) for b in blocks] == [
        (ModbusTable.HOLDING_REGISTER, 0, 2),  # setpoint and the supervisor's life counter
        (ModbusTable.INPUT_REGISTER, 0, 22),
        (ModbusTable.COIL, 0, 4),
        (ModbusTable.DISCRETE_INPUT, 0, 8),
    ]
    assert sum(len(b.fields) for b in blocks) == len(config.points_of("boiler"))


def test_registers_are_split_at_125_without_splitting_a_point() -> None:
    points = [modbus_point(f"p.f{i}", "input_register", 2 * i, "float32") for i in range(100)]
    blocks = plan_reads(points)
    assert [(b.start, b.count) for b in blocks] == [(0, 124), (124, 76)]
    assert all(b.count <= 125 for b in blocks)


def test_bits_are_grouped_up_to_2000() -> None:
    points = [modbus_point(f"p.b{i}", "coil", i, "bool") for i in range(2500)]
    assert [(b.start, b.count) for b in plan_reads(points)] == [(0, 2000), (2000, 500)]


def test_a_gap_in_the_map_starts_a_new_request() -> None:
    points = [modbus_point("p.a", "holding_register", 0), modbus_point("p.b", "holding_register", 5)]
    assert [(b.start, b.count) for b in plan_reads(points)] == [(0, 1), (5, 1)]


def test_bit_fields_of_one_register_share_it() -> None:
    points = [modbus_point(f"p.b{i}", "input_register", 3, bit=i) for i in range(4)]
    [block] = plan_reads(points)
    assert (block.start, block.count, len(block.fields)) == (3, 1, 4)


def test_custom_limits_are_respected() -> None:
    points = [modbus_point(f"p.r{i}", "holding_register", i) for i in range(10)]
    assert [(b.start, b.count) for b in plan_reads(points, max_registers=4)] == [(0, 4), (4, 4), (8, 2)]
