"""Accessibility and words: alarm colours' contrast (WCAG), every text key in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chaufferie.hmi import i18n
from chaufferie.hmi.texts import TEXTS
from chaufferie.hmi.theme import BACKGROUND, CSS, OUTLINE, PANEL, PRIORITIES, contrast_ratio

HMI = Path(__file__).resolve().parents[2] / "hmi"


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("priority", [1, 2, 3])
def test_alarm_badge_text_is_readable_on_its_colour(priority: int) -> None:
    style = PRIORITIES[priority]
    assert contrast_ratio(style.text, style.fill) >= 4.5  # WCAG AA for normal text


@pytest.mark.parametrize("priority", [1, 2, 3])
def test_alarm_badge_outline_stands_out_on_the_grey_background(priority: int) -> None:
    # WCAG 1.4.11 non-text contrast: the badge's dark outline against the page and panels
    for background in (BACKGROUND, PANEL):
        assert contrast_ratio(OUTLINE, background) >= 3.0
    assert f"border:2px solid {OUTLINE}" in CSS  # every badge carries that outline


def test_priorities_differ_by_shape_and_glyph_not_colour_alone() -> None:
    assert len({p.shape for p in PRIORITIES.values()}) == 3
    assert len({p.glyph for p in PRIORITIES.values()}) == 3


def test_every_text_key_used_in_the_code_exists_in_both_languages() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\b(?:t|tr)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
    for path in HMI.rglob("*.py"):
        used.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "no text key found: the pattern is wrong"
    missing = sorted(k for k in used if k not in TEXTS)
    assert missing == []
    assert all(fr and en for fr, en in TEXTS.values())


def test_domain_words_follow_the_glossary() -> None:
    assert i18n.tr("oil.replacement", "fr") == "RELÈVE"
    assert i18n.tr("oil.top_up", "en") == "TOP-UP"
    assert i18n.tr("alarms.ack", "fr") == "Acquitter"
    assert i18n.tr("alarms.shelve", "fr") == "Mettre en attente"
    assert i18n.tr("alarms.reset", "fr") == "Réarmer"
    assert i18n.tr("syn.buffer", "en") == "Buffer tank"


def test_report_chart_shows_the_wood_coverage_rate_per_month() -> None:
    from chaufferie.hmi.charts import coverage, report_options

    wood, oil = [("2026-01", 19.0), ("2026-02", 0.0)], [("2026-01", 1.0)]
    assert coverage(wood, oil) == [95.0, None]
    series = report_options({"wood_mwh": wood, "oil_mwh": oil}, "fr")["series"]
    assert [s["name"] for s in series] == ["bois", "fioul", "taux de couverture bois"]


def test_report_figures_read_in_words() -> None:
    from datetime import UTC, datetime

    from chaufferie.hmi.pages.reports import figure_rows
    from chaufferie.hmi.records import Report

    t = datetime(2026, 1, 1, tzinfo=UTC)
    report = Report(
        "r",
        t,
        t,
        {"coverage_pct": 94.5, "oil_starts_replacement": 2},
        extra={"oil_reasons": {"wood_fault": 2}},
    )
    assert figure_rows(report, "fr") == [
        {"name": "Taux de couverture bois (%)", "value": "94,50", "coverage": ""},
        {"name": "Démarrages fioul en relève", "value": "2", "coverage": ""},
        {"name": "démarrage fioul : chaudière bois en défaut", "value": "2", "coverage": ""},
    ]


def test_trend_puts_other_units_on_a_second_plot_with_one_cursor() -> None:
    from datetime import UTC, datetime

    from chaufferie.hmi.charts import trend_options
    from chaufferie.hmi.records import TrendPoint, TrendSeries

    t = datetime(2026, 1, 1, tzinfo=UTC)
    temp = TrendSeries("buffer.temp_top", [TrendPoint(t, 70.0), TrendPoint(t, None, False)], "°C")
    bar = TrendSeries("network.pressure", [TrendPoint(t, 2.0)], "bar")
    options = trend_options([temp, bar], {}, [], "fr")
    assert len(options["grid"]) == 2
    assert [s["xAxisIndex"] for s in options["series"]] == [0, 1]
    assert options["axisPointer"]["link"] == [{"xAxisIndex": "all"}]
    assert options["dataZoom"][0]["xAxisIndex"] == [0, 1]
    assert options["series"][0]["data"][1][1] is None  # a quality gap stays a gap
    assert len(trend_options([temp], {}, [], "fr")["grid"]) == 1
