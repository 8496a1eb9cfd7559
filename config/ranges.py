"""The physically sensible range of every kind of number in the configuration.

Each configuration model annotates its numbers with one of these types, so a range is
written once, here, and read from the model's field metadata by whoever needs to show it
(:func:`field_range`: the settings page prints it next to the input). Infinity and NaN are
refused by every model (``allow_inf_nan=False`` on the base model, see
:class:`chaufferie.config.points.Frozen`); these bounds refuse the finite absurdities
(``1e308`` s, a 999 °C setpoint).

The figures (documented in ``docs/admin-guide.md``):

* a delay, a period or a time-out: at most a day (86 400 s); in minutes or hours likewise;
* a water temperature of the boiler circuit: 0 to 110 °C (the boiler's own safety
  thermostat trips at 110 °C; the point map's write bounds narrow it further);
* an outdoor temperature: −50 to +50 °C;
* a temperature difference (a drop, a margin, a hysteresis): at most 50 K;
* a percentage: at most 100; a fraction: at most 1;
* the moisture content of wood chips (wet basis): 0 to below 100 % — what is physically
  possible, not what a contract accepts (that range is a setting of the plant).
"""

from __future__ import annotations

from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, Field

DAY_S = 86_400.0

Delay = Annotated[float, Field(ge=0, le=DAY_S)]
"""A delay or a duration in seconds that may be zero (at most a day)."""
Period = Annotated[float, Field(gt=0, le=DAY_S)]
"""A period, an interval or a time-out in seconds, above zero (at most a day)."""
Minutes = Annotated[float, Field(gt=0, le=DAY_S / 60)]
Hours = Annotated[float, Field(gt=0, le=DAY_S / 3600)]
WaterC = Annotated[float, Field(ge=0, le=110)]
"""A water temperature of the boiler circuit (°C)."""
OutdoorC = Annotated[float, Field(ge=-50, le=50)]
Kelvin = Annotated[float, Field(gt=0, le=50)]
"""A temperature difference above zero (K)."""
MarginK = Annotated[float, Field(ge=0, le=50)]
"""A temperature difference that may be zero (K)."""
Percent = Annotated[float, Field(gt=0, le=100)]
Fraction = Annotated[float, Field(gt=0, le=1)]
MoisturePct = Annotated[float, Field(ge=0, lt=100)]
"""Moisture content of wood chips, wet basis (%): the physical bound, checked on every entry."""
Kilowatts = Annotated[float, Field(gt=0, le=10_000)]
Bar = Annotated[float, Field(gt=0, le=25)]
Days = Annotated[float, Field(gt=0, le=36_500)]
Magnitude = Annotated[float, Field(ge=-1e9, le=1e9)]
"""A raw value, a scale or an offset of the point map (finite, within ±10⁹)."""
Deadband = Annotated[float, Field(ge=0, le=1e6)]
PriceIndex = Annotated[float, Field(gt=0, le=1e6)]
"""A published price index (BT40, PPEI, TCH): above zero, finite."""


def field_range(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """The lower and upper bounds of ``model.name`` from its metadata (``None``: unbounded)."""
    low: float | None = None
    high: float | None = None
    for item in _constraints(model, name):
        for attr in ("ge", "gt"):
            if getattr(item, attr, None) is not None:
                low = float(getattr(item, attr))
        for attr in ("le", "lt"):
            if getattr(item, attr, None) is not None:
                high = float(getattr(item, attr))
    return low, high


def _constraints(model: type[BaseModel], name: str) -> list[Any]:
    """The field's constraints, including those of an optional one (``Delay | None``)."""
    info = model.model_fields[name]
    items = list(info.metadata)
    for arg in get_args(info.annotation):
        if get_origin(arg) is Annotated:
            for extra in get_args(arg)[1:]:
                items.extend(getattr(extra, "metadata", [extra]))
    return items
