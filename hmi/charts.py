"""ECharts options built from history data (pure functions, tested without a browser).

Trends: time on x, one line per point, a gap wherever a sample is missing or not Good
(``null`` with ``connectNulls: false``), zoom by slider and mouse wheel, one shared
tooltip cursor across series, the buffer setpoint drawn with its ± 1.5 °C band (a stacked
transparent base and a grey band) and the oil boiler's running time as shaded areas.
Reports: wood vs oil heat bars and the coverage rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chaufferie.hmi.i18n import tr
from chaufferie.hmi.records import Interval, TrendSeries
from chaufferie.hmi.theme import LINE, MUTED

BAND_K = 1.5
GREYS = ("#1F1F1F", "#1565C0", "#6A1B9A", "#2E7D32", "#5D4037", "#455A64")


def _ms(series: TrendSeries) -> list[list[Any]]:
    return [
        [int(p.time.timestamp() * 1000), p.value if p.good and p.value is not None else None]
        for p in series.points
    ]


def band_series(setpoint: TrendSeries, lang: str) -> list[dict[str, Any]]:
    """Setpoint ± 1.5 °C as two stacked series: a transparent base and the band itself."""
    base, width = [], []
    for p in setpoint.points:
        t = int(p.time.timestamp() * 1000)
        ok = p.good and p.value is not None
        base.append([t, (p.value - BAND_K) if ok and p.value is not None else None])
        width.append([t, 2 * BAND_K if ok else None])
    common = {
        "type": "line",
        "stack": "band",
        "symbol": "none",
        "step": "end",
        "connectNulls": False,
        "lineStyle": {"opacity": 0},
    }
    return [
        {
            **common,
            "name": "_band_base",
            "data": base,
            "tooltip": {"show": False},
            "itemStyle": {"color": "#BDBDBD"},
        },
        {
            **common,
            "name": tr("trend.band", lang),
            "data": width,
            "areaStyle": {"color": "#BDBDBD", "opacity": 0.5},
            "itemStyle": {"color": "#BDBDBD"},
        },
    ]


def _line(s: TrendSeries, name: str, colour: str, axis: int) -> dict[str, Any]:
    return {
        "type": "line",
        "name": name,
        "data": _ms(s),
        "xAxisIndex": axis,
        "yAxisIndex": axis,
        "showSymbol": False,
        "connectNulls": False,
        "lineStyle": {"width": 1.5, "color": colour},
        "itemStyle": {"color": colour},
    }


def _oil_area(oil: Sequence[Interval], lang: str) -> dict[str, Any]:
    return {
        "silent": True,
        "itemStyle": {"color": "rgba(239,108,0,0.15)"},
        "data": [
            [
                {"name": tr("trend.oil", lang), "xAxis": int(iv.start.timestamp() * 1000)},
                {"xAxis": int(iv.end.timestamp() * 1000)},
            ]
            for iv in oil
        ],
    }


def trend_options(
    series: Sequence[TrendSeries],
    labels: Mapping[str, str],
    oil: Sequence[Interval],
    lang: str,
    setpoint: TrendSeries | None = None,
) -> dict[str, Any]:
    """Temperatures on the upper plot, other units on a lower one, one cursor for both."""
    two = any(s.unit != "°C" for s in series) and any(s.unit == "°C" for s in series)
    lines: list[dict[str, Any]] = []
    for i, s in enumerate(series):
        name = f"{labels.get(s.point, s.point)} ({s.unit})" if s.unit else labels.get(s.point, s.point)
        lines.append(_line(s, name, GREYS[i % len(GREYS)], 1 if two and s.unit != "°C" else 0))
    if setpoint is not None:
        lines.extend(band_series(setpoint, lang))
    for axis in (0, 1) if two else (0,):
        first = next((line for line in lines if line.get("xAxisIndex", 0) == axis), None)
        if oil and first is not None:
            first["markArea"] = _oil_area(oil, lang)
    grids: list[dict[str, Any]] = [{"left": 50, "right": 20, "top": 40, "bottom": 70}]
    if two:
        grids = [
            {"left": 50, "right": 20, "top": 40, "height": "45%"},
            {"left": 50, "right": 20, "top": "62%", "bottom": 70},
        ]
    axes = range(len(grids))
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "cross"}},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "legend": {
            "type": "scroll",
            "top": 0,
            "textStyle": {"color": LINE},
            "data": [line["name"] for line in lines if not line["name"].startswith("_")],
        },
        "grid": grids,
        "xAxis": [
            {"type": "time", "gridIndex": g, "axisLine": {"lineStyle": {"color": MUTED}}} for g in axes
        ],
        "yAxis": [
            {"type": "value", "scale": True, "gridIndex": g, "axisLine": {"lineStyle": {"color": MUTED}}}
            for g in axes
        ],
        "dataZoom": [
            {"type": "inside", "xAxisIndex": list(axes)},
            {"type": "slider", "bottom": 10, "xAxisIndex": list(axes)},
        ],
        "series": lines,
    }


def report_options(series: Mapping[str, Sequence[tuple[str, float | None]]], lang: str) -> dict[str, Any]:
    """Bars of heat from wood and oil by month (MWh), the two series named in the catalogue;
    a month whose data are incomplete (None) has no bar, not a zero one."""
    wood = list(series.get("wood_mwh", ()))
    oil = list(series.get("oil_mwh", ()))
    labels = [k for k, _ in wood] or [k for k, _ in oil]
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": [{"type": "value", "name": "MWh"}, {"type": "value", "name": "%", "min": 0, "max": 100}],
        "series": [
            {
                "type": "bar",
                "stack": "heat",
                "name": tr("report.wood", lang),
                "data": [v for _, v in wood],
                "itemStyle": {"color": "#616161"},
            },
            {
                "type": "bar",
                "stack": "heat",
                "name": tr("report.oil", lang),
                "data": [v for _, v in oil],
                "itemStyle": {"color": "#EF6C00", "borderColor": "#1F1F1F", "borderWidth": 1},
            },
            {
                "type": "line",
                "yAxisIndex": 1,
                "name": tr("report.coverage", lang),
                "data": coverage(wood, oil),
                "itemStyle": {"color": "#1F1F1F"},
                "lineStyle": {"type": "dashed"},
            },
        ],
    }


def coverage(
    wood: Sequence[tuple[str, float | None]], oil: Sequence[tuple[str, float | None]]
) -> list[float | None]:
    """Wood coverage rate (%) per period: wood / (wood + oil), None when no heat or no data."""
    oil_of = dict(oil)
    out: list[float | None] = []
    for label, w in wood:
        o = oil_of.get(label, 0.0)
        total = None if w is None or o is None else w + o
        out.append(round(100 * w / total, 1) if w is not None and total else None)
    return out
