"""Build points and maps for tests (the default plant's map, or a programmatic one)."""

from __future__ import annotations

from typing import Any

from chaufferie.config.points import Point


def modbus_point(name: str, table: str, address: int, type_: str = "uint16", **extra: Any) -> Point:
    """A Modbus point on link ``boiler``; ``extra`` keys go to the source or the point."""
    point_keys = {"deadband", "heartbeat_s", "sentinels", "access", "bounds", "write_min_interval_s", "pulse"}
    source = {"protocol": "modbus", "table": table, "address": address, "type": type_}
    source.update({k: v for k, v in extra.items() if k not in point_keys})
    data: dict[str, Any] = {
        "name": name,
        "link": "boiler",
        "label_fr": name,
        "label_en": name,
        "source": source,
    }
    data.update({k: v for k, v in extra.items() if k in point_keys})
    return Point.model_validate(data)
