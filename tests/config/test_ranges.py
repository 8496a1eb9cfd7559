"""Every number of the configuration is finite and within a physically sensible range.

``check-config`` refuses infinity, NaN and absurd values with ``file:line: field: problem
(value)``; a setpoint limit must lie within the write bounds of the setpoints it commands.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from chaufferie.config.loader import ConfigError, parse_config
from chaufferie.config.ranges import field_range
from chaufferie.config.settings import PlantConfig
from tests.support.cli import check_config

LINE = "  replacement_confirm_s: 120\n"
SETPOINT_LINE = "  setpoint_max_c: 85\n"


def _issues(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "plant.yaml")
    return [str(i) for i in info.value.issues]


def _with(config_path: Path, old: str, new: str) -> tuple[str, int]:
    """The shipped file with ``old`` replaced by ``new``, and the 1-based line of the change."""
    text = config_path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    line = text[: text.index(old)].count("\n") + 1
    return text.replace(old, new), line


@pytest.mark.parametrize(
    ("written", "problem", "shown"),
    [
        (".inf", "Input should be a finite number", "(inf)"),
        ("-.inf", "Input should be a finite number", "(-inf)"),
        (".nan", "Input should be a finite number", "(nan)"),
        ("1e308", "Input should be less than or equal to 86400", "('1e308')"),
        ("1.0e+308", "Input should be less than or equal to 86400", "(1e+308)"),
        ("172800", "Input should be less than or equal to 86400", "(172800)"),
    ],
)
def test_a_delay_must_be_finite_and_within_a_day(
    config_path: Path, written: str, problem: str, shown: str
) -> None:
    text, line = _with(config_path, LINE, f"  replacement_confirm_s: {written}\n")
    assert _issues(text) == [f"plant.yaml:{line}: cascade.replacement_confirm_s: {problem} {shown}"]


def test_a_setpoint_limit_must_be_a_boiler_water_temperature(config_path: Path) -> None:
    text, line = _with(config_path, SETPOINT_LINE, "  setpoint_max_c: 999\n")
    assert _issues(text) == [
        f"plant.yaml:{line}: cascade.setpoint_max_c: Input should be less than or equal to 110 (999)"
    ]


def test_a_setpoint_limit_must_lie_within_the_setpoints_write_bounds(config_path: Path) -> None:
    # 95 °C is a possible water temperature, but wood.setpoint accepts 55..90 and oil.setpoint 50..90
    text, line = _with(config_path, SETPOINT_LINE, "  setpoint_max_c: 95\n")
    assert _issues(text) == [
        f"plant.yaml:{line}: cascade.setpoint_max_c: outside the setpoints' write bounds [55, 90] (95.0)"
    ]


def test_check_config_refuses_infinity_and_names_file_line_field_and_value(
    config_path: Path, tmp_path: Path
) -> None:
    text, line = _with(config_path, LINE, "  replacement_confirm_s: .inf\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    res = check_config(bad)
    assert res.returncode == 1
    assert f"{bad}:{line}: cascade.replacement_confirm_s: Input should be a finite number (inf)" in res.stderr


def _numbers(annotation: Any) -> bool:
    """Does ``annotation`` hold a bare float or int (not a bool, not inside a container)?"""
    if annotation in (float, int):
        return True
    if get_origin(annotation) is Annotated:
        return _numbers(get_args(annotation)[0])
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_numbers(a) for a in get_args(annotation) if a is not type(None))
    return False


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            item = stack.pop()
            if isinstance(item, type) and issubclass(item, BaseModel):
                _models(item, seen)
            stack.extend(get_args(item))


def test_every_number_of_every_configuration_model_has_both_bounds() -> None:
    seen: set[type[BaseModel]] = set()
    _models(PlantConfig, seen)
    assert len(seen) > 20
    unbounded = [
        f"{model.__name__}.{name}"
        for model in seen
        for name, info in model.model_fields.items()
        if _numbers(info.annotation) and None in field_range(model, name)
    ]
    assert unbounded == []
    assert all(model.model_config.get("allow_inf_nan") is False for model in seen)
