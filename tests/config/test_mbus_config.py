"""The M-Bus link and meter point models: bad input refused with the reason, and the
cross-references that one model cannot see."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chaufferie.config.points import MbusLink, Point
from chaufferie.config.settings import PlantConfig, cross_references


def meter_point(name: str, link: str = "meters", **source: object) -> Point:
    return Point.model_validate(
        {
            "name": name,
            "link": link,
            "label_fr": name,
            "label_en": name,
            "source": {"protocol": "mbus", **source},
        }
    )


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ({"primary": 251, "record": 0}, "less than or equal to 250"),
        ({"primary": 0, "record": 0}, "greater than or equal to 1"),
        ({"primary": 1, "secondary": "12345678", "record": 0}, "primary address or its secondary address"),
        ({"record": 0}, "primary address or its secondary address"),
        ({"secondary": "1234ABCD", "record": 0}, "pattern"),
        ({"primary": 1}, "record"),
        ({"primary": 1, "record": 0, "scale": 0}, "scale must not be 0"),
    ],
)
def test_a_bad_meter_source_is_refused_saying_why(source: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        meter_point("heat.x.energy", **source)
    assert words in str(caught.value)


def test_a_link_is_a_gateway_or_a_serial_port_and_has_no_plc() -> None:
    with pytest.raises(ValidationError, match=r"host.*or the serial device"):
        MbusLink()
    with pytest.raises(ValidationError, match="not both"):
        MbusLink(host="10.0.0.5", device="/dev/ttyUSB0")
    serial = MbusLink(device="/dev/ttyUSB0")
    assert (serial.baudrate, serial.url) == (2400, "/dev/ttyUSB0")
    assert MbusLink(host="10.0.0.5", port=10001).url == "socket://10.0.0.5:10001"
    with pytest.raises(ValidationError, match="baudrate"):
        MbusLink(device="/dev/ttyUSB0", baudrate=1234)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no PLC life counter or local mode: heartbeat_point"):
        MbusLink(host="127.0.0.1", heartbeat_point="wood.heartbeat")


def test_two_points_on_one_record_of_one_meter_and_an_unknown_link_are_named(config: PlantConfig) -> None:
    points = [
        meter_point("heat.a.energy", primary=50, record=0),
        meter_point("heat.b.energy", primary=50, record=0),
        meter_point("heat.c.energy", primary=50, record=1),
        meter_point("heat.d.energy", link="nowhere", primary=51, record=0),
    ]
    cfg = config.model_copy(
        update={
            "links": {**config.links, "meters": MbusLink(host="127.0.0.1")},
            "points": (*config.points, *points),
        }
    )
    n = len(config.points)
    problems = {(p.path, p.message, p.value) for p in cross_references(cfg)}
    assert problems == {
        (("points", n + 1, "source"), "same meter record as point heat.a.energy", "p50"),
        (("points", n + 3, "link"), "unknown link", "nowhere"),
    }
