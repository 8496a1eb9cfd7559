"""A supervisor life counter the PLC could not receive is refused by ``chaufferie check-config``."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaufferie.config.loader import default_config_path
from tests.support.cli import check_config

FIELD = "supervisor_heartbeat_point: hydraulic.supervisor_heartbeat"


@pytest.mark.parametrize(
    ("point", "said"),
    [
        ("hydraulic.nowhere", "unknown point"),
        ("hydraulic.heartbeat", "read-only point"),  # the PLC's own counter: we cannot write it
        ("wood.supervisor_heartbeat", "point of link 'boiler', not of this link"),
        ("hydraulic.remote_request", "a counter is needed"),  # a writable pulse, not a counter
    ],
)
def test_a_heartbeat_point_missing_read_only_or_on_another_link_is_refused(
    tmp_path: Path, point: str, said: str
) -> None:
    shipped = default_config_path().read_text(encoding="utf-8")
    assert FIELD in shipped
    line = shipped[: shipped.index(FIELD)].count("\n") + 1
    path = tmp_path / "plant.yaml"
    path.write_text(shipped.replace(FIELD, f"supervisor_heartbeat_point: {point}"), encoding="utf-8")
    result = check_config(path)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert f"plant.yaml:{line}: links.hydraulic.supervisor_heartbeat_point: {said}" in out, out
    assert point in out


def test_a_write_period_shorter_than_the_points_rate_limit_is_refused(tmp_path: Path) -> None:
    shipped = default_config_path().read_text(encoding="utf-8")
    path = tmp_path / "plant.yaml"
    text = shipped.replace(f"{FIELD}\n    heartbeat_write_s: 10", f"{FIELD}\n    heartbeat_write_s: 0.5")
    assert text != shipped
    path.write_text(text, encoding="utf-8")
    result = check_config(path)
    assert result.returncode != 0
    assert (
        "links.hydraulic.heartbeat_write_s: shorter than write_min_interval_s"
        in result.stdout + result.stderr
    )
