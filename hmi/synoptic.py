"""The process graphic: the plant drawn left to right as the heat flows, as an SVG string.

silo → transfer screw → wood boiler (oil boiler beside it) → buffer tank → duty/standby pumps →
network → heat meter → buildings. Equipment is a grey outline; a running pump is a filled
outline and a word, never motion. Colour appears only for abnormal states and alarms: an
equipment with an active alarm carries the priority badge (colour + shape + "P1" text).
Bad-quality values are grey, italic, with "?" and their age. :func:`render` is a pure
function of the view model, the time and the language, so it is tested without a browser.
"""

from __future__ import annotations

from datetime import datetime

from chaufferie.config import words
from chaufferie.config.vocabulary import TagValue
from chaufferie.hmi import format as fmt
from chaufferie.hmi.i18n import oil_role_label, reason_label, tr
from chaufferie.hmi.svg import Svg
from chaufferie.hmi.theme import BAD_QUALITY, LINE, MUTED, PANEL, PRIORITIES, TEXT
from chaufferie.hmi.viewmodel import PlantView

BAND_K = 1.5
ABNORMAL_STATES = frozenset({"fault", "lockout"})
"""The wood boiler's states drawn in red capitals."""
ASH_WARN_PCT = 90.0
"""The ash bin's expected fill shown bold from here (the simulated agent empties it at 90 %)."""
EQUIPMENT_OF_PREFIX = {
    "SIL": "silo",
    "VIS": "screw",
    "CHB": "wood",
    "FUM": "wood",
    "CEN": "wood",
    "FIO": "oil",
    "TDP": "buffer",
    "PMP": "pumps",
    "PRS": "network",
    "COM-CPT": "meter",
}


class Synoptic:
    """Draws one frame of the process graphic from ``view``."""

    def __init__(self, view: PlantView, now: datetime, lang: str) -> None:
        self.view = view
        self.now = now
        self.lang = lang
        self.svg = Svg()
        self.units = {p.name: p.unit for p in view.config.points}
        self.ranges = {p.name: p.normal_range for p in view.config.points if p.normal_range is not None}

    # ---- helpers ----------------------------------------------------------------------
    def value(self, x: float, y: float, label: str, point: str, decimals: int = 1, size: int = 14) -> None:
        """A value with its unit; grey "?" and age when not Good; ▲/▼ in bold outside its normal range."""
        tv = self.view.value(point)
        shown = fmt.show(tv, self.now, self.units.get(point, ""), decimals, self.lang)
        text = f"{label} {shown.text}" if label else shown.text
        off = self.off_range(point) if shown.good else ""
        self.svg.text(
            x,
            y,
            f"{text} {off}" if off else text,
            size=size,
            fill=TEXT if shown.good else BAD_QUALITY,
            italic=not shown.good,
            bold=bool(off),
            test_id=f"v-{point}",
        )

    def off_range(self, point: str) -> str:
        """ "▲" above, "▼" below the point's normal range, "" inside or without one."""
        limits = self.ranges.get(point)
        value = self.view.number(point)
        if limits is None or value is None:
            return ""
        return "▲" if value > limits.max else "▼" if value < limits.min else ""

    def state_word(self, point: str) -> tuple[str, bool]:
        """The state's word (``config/words.py``, the same as in alarm messages) and whether
        it is abnormal (then in capitals, to stand out on the calm picture)."""
        tv = self.view.value(point)
        if tv is None:
            return "?", True
        names = self.view.config.point(point).states or {}
        name = names.get(int(tv.value)) if isinstance(tv.value, int | float) else None
        word = words.state_word(name, self.lang) if name else str(tv.value)
        if name in ABNORMAL_STATES:
            word = word.upper()
        if not tv.good:
            word = f"{word} ? ({fmt.age(self.now - tv.receive_time)})"
        return word, name in ABNORMAL_STATES or not tv.good

    def box(
        self, title_key: str, cx: float, x: float, y: float, w: float, h: float, fill: str = PANEL
    ) -> None:
        """An equipment outline with its name above it."""
        self.svg.text(cx, y - 15, tr(title_key, self.lang), bold=True)
        self.svg.rect(x, y, w, h, fill=fill)

    def flag(self, point: str) -> bool | None:
        tv = self.view.value(point)
        return None if tv is None or tv.value is None else bool(tv.value)

    def alarm_badges(self) -> dict[str, tuple[int, bool]]:
        """Highest priority of the alarms on each equipment, and whether one is unacknowledged."""
        worst: dict[str, tuple[int, bool]] = {}
        for row in self.view.alarms.values():
            equipment = EQUIPMENT_OF_PREFIX.get(row.code) or EQUIPMENT_OF_PREFIX.get(row.code[:3])
            if equipment is None:
                continue
            prio, unacked = worst.get(equipment, (9, False))
            worst[equipment] = (min(prio, row.priority), unacked or row.unacked)
        return worst

    # ---- equipment ----------------------------------------------------------------------
    def silo(self) -> None:
        s = self.svg
        self.box("syn.silo", 80, 30, 45, 100, 200)
        out = self.view.silo_outlook(self.now)
        if out.level_pct is not None:
            h = 200 * max(0.0, min(100.0, out.level_pct)) / 100
            s.parts.append(f'<rect x="32" y="{245 - h}" width="96" height="{h}" fill="#BDBDBD"/>')
        self.value(80, 140, "", "silo.level")
        tonnes = "?" if out.stock_kg is None else fmt.number(out.stock_kg / 1000, "t", 2, self.lang)
        s.text(80, 270, tonnes, test_id="silo-tonnes")
        days = "" if out.days_left is None else fmt.number(out.days_left, "", 1, self.lang)
        low = out.days_left is not None and out.days_left < 3
        s.text(
            80,
            292,
            tr("syn.forecast_unavailable", self.lang)
            if out.unavailable
            else tr("syn.days_left", self.lang, days=days),
            bold=True,
            fill=PRIORITIES[2].fill if low else TEXT,
            test_id="silo-days",
        )
        if out.order_by is not None:
            s.text(80, 312, tr("syn.order_by", self.lang), size=12)
            s.text(80, 328, fmt.local_date(out.order_by), size=12, bold=True, test_id="silo-order")
        ash = self.view.ash_outlook()
        filled = "?" if ash.fill_pct is None else fmt.number(ash.fill_pct, "%", 0, self.lang)
        full = ash.fill_pct is not None and ash.fill_pct >= ASH_WARN_PCT
        s.text(80, 352, tr("syn.ash_fill", self.lang, fill=filled), size=12, test_id="ash-fill", bold=full)

    def screw(self) -> None:
        s = self.svg
        s.text(195, 120, tr("syn.screw", self.lang), size=12, bold=True)
        jammed, test, running = (
            self.flag("screw.jammed"),
            self.flag("screw.test_running"),
            self.flag("screw.running"),
        )
        fill = PANEL if not running else "#9E9E9E"
        s.rect(150, 130, 90, 30, fill=fill)
        word = tr(
            "syn.jammed" if jammed else "syn.test" if test else "syn.running" if running else "syn.stopped",
            self.lang,
        )
        s.text(195, 180, word, size=13, bold=bool(jammed), fill=PRIORITIES[1].fill if jammed else TEXT)
        self.value(195, 200, "", "screw.current", 2, 12)
        s.line(130, 145, 150, 145)
        s.line(240, 145, 270, 145)

    def wood(self) -> None:
        s = self.svg
        self.box("syn.wood", 355, 270, 45, 170, 185)
        word, abnormal = self.state_word("wood.state")
        s.text(355, 65, word, bold=True, fill=PRIORITIES[1].fill if abnormal else TEXT, test_id="wood-state")
        self.value(355, 90, tr("syn.modulation", self.lang), "wood.modulation", 0)
        mod = self.view.number("wood.modulation")
        s.rect(295, 98, 120, 10, fill="none")
        if mod is not None:
            s.parts.append(
                f'<rect x="296" y="99" width="{1.18 * max(0.0, min(100.0, mod))}" height="8" fill="{MUTED}"/>'
            )
        self.value(355, 132, tr("syn.outlet", self.lang), "wood.outlet_temp")
        self.value(355, 154, tr("syn.return", self.lang), "wood.return_temp")
        self.value(355, 176, tr("syn.flue", self.lang), "wood.flue_temp", 0)
        self.value(355, 198, tr("syn.power", self.lang), "wood.power", 0)
        s.line(440, 90, 480, 90)

    def oil(self) -> None:
        s = self.svg
        s.text(355, 265, tr("syn.oil", self.lang), bold=True)
        burner = self.flag("oil.burner_on")
        s.rect(270, 275, 170, 110, fill="#9E9E9E" if burner else PANEL)
        role = self.view.oil.role
        if role is not None:
            s.text(
                355,
                305,
                oil_role_label(role, self.lang),
                bold=True,
                size=16,
                fill=PRIORITIES[1].fill if burner or role else TEXT,
                test_id="oil-role",
            )
            since = self.view.oil.since
            when = (
                ""
                if since is None
                else " · " + tr("header.since", self.lang, time=fmt.short_time(since, self.now))
            )
            s.text(
                355, 326, reason_label(self.view.oil.reason, self.lang) + when, size=12, test_id="oil-reason"
            )
        else:
            s.text(355, 305, oil_role_label(None, self.lang), test_id="oil-role")
        if self.flag("oil.fault"):
            s.text(355, 348, tr("syn.fault", self.lang), bold=True, fill=PRIORITIES[1].fill)
        self.value(355, 372, tr("syn.outlet", self.lang), "oil.outlet_temp")
        s.line(440, 330, 480, 330)
        s.line(480, 90, 480, 330)

    def buffer(self) -> None:
        s = self.svg
        s.text(545, 30, tr("syn.buffer", self.lang), bold=True)
        s.parts.append(
            f'<rect x="490" y="45" width="110" height="260" rx="40" fill="{PANEL}" '
            f'stroke="{LINE}" stroke-width="2"/>'
        )
        self.value(545, 95, tr("syn.top", self.lang), "buffer.temp_top")
        self.value(545, 175, tr("syn.middle", self.lang), "buffer.temp_middle")
        self.value(545, 255, tr("syn.bottom", self.lang), "buffer.temp_bottom")
        self.setpoint_bar(545, 330)
        s.line(600, 90, 640, 90)

    def setpoint_bar(self, cx: float, y: float) -> None:
        """Buffer top temperature against setpoint ± 1.5 °C: grey band, dark marker."""
        s = self.svg
        sp = self.view.number("wood.setpoint")
        label = "?" if sp is None else fmt.number(sp, "°C", 1, self.lang)
        s.text(cx, y - 8, tr("syn.setpoint", self.lang, value=label), size=12, test_id="setpoint")
        span = 6 * BAND_K  # the bar shows setpoint ± 4.5 K
        x0, width = cx - 60, 120
        s.rect(x0, y, width, 12, fill=PANEL)
        band_x = x0 + width * (span / 2 - BAND_K) / span
        s.parts.append(
            f'<rect x="{band_x}" y="{y + 1}" width="{width * 2 * BAND_K / span}" height="10" fill="#C2C2C2"/>'
        )
        top = self.view.number("buffer.temp_top")
        if sp is None or top is None:
            return
        off = max(-span / 2, min(span / 2, top - sp))
        mx = x0 + width * (off + span / 2) / span
        outside = abs(top - sp) > BAND_K
        colour = PRIORITIES[2].fill if outside else TEXT
        s.parts.append(
            f'<path d="M{mx} {y - 2} L{mx + 6} {y + 16} L{mx - 6} {y + 16} Z" fill="{colour}" '
            f'stroke="#1F1F1F" stroke-width="1"/>'
        )

    def pumps(self) -> None:
        s = self.svg
        s.text(700, 30, tr("syn.pumps", self.lang), bold=True)
        duty = self.view.number("pumps.duty")
        for i, y in ((1, 90), (2, 190)):
            running, fault = self.flag(f"pump{i}.running"), self.flag(f"pump{i}.fault")
            s.parts.append(
                f'<circle cx="700" cy="{y}" r="26" fill="{"#7A7A7A" if running else PANEL}" '
                f'stroke="{LINE}" stroke-width="2"/>'
            )
            s.text(700, y + 5, str(i), bold=True, fill="#FFFFFF" if running else TEXT)
            role = tr("syn.duty" if duty == i else "syn.standby", self.lang)
            word = tr("syn.fault" if fault else "syn.running" if running else "syn.stopped", self.lang)
            s.text(
                700,
                y + 46,
                f"{role} · {word}",
                size=12,
                bold=bool(fault),
                fill=PRIORITIES[1].fill if fault else TEXT,
                test_id=f"pump{i}",
            )
            s.line(640, y, 674, y, 2)
            s.line(726, y, 770, y, 2)
        s.line(640, 90, 640, 190)
        s.line(770, 90, 770, 190)
        s.line(770, 140, 800, 140)

    def network(self) -> None:
        s = self.svg
        self.box("syn.network", 880, 800, 45, 160, 190)
        self.value(880, 80, tr("syn.pressure", self.lang), "network.pressure", 2)
        if self.flag("network.low_pressure"):
            s.text(880, 102, tr("syn.low_pressure", self.lang), size=12, bold=True, fill=PRIORITIES[1].fill)
        self.value(880, 130, tr("syn.supply", self.lang), "network.supply_temp")
        self.value(880, 158, tr("syn.return", self.lang), "network.return_temp")
        self.value(880, 186, tr("syn.flow", self.lang), "network.flow", 2)
        s.line(960, 140, 990, 140)

    def meter(self) -> None:
        s = self.svg
        s.text(1060, 30, tr("syn.meter", self.lang), bold=True)
        s.rect(990, 95, 140, 90, fill=PANEL)
        self.value(1060, 128, "", "meter.power", 1, 16)
        energy = self.view.number("meter.energy")
        tv: TagValue | None = self.view.value("meter.energy")
        text = fmt.number(None if energy is None else energy / 1000, "MWh", 2, self.lang)
        good = tv is not None and tv.good
        if not good:
            text = f"{text} ?"
        s.text(1060, 158, text, fill=TEXT if good else BAD_QUALITY, italic=not good, test_id="v-meter.energy")
        s.line(1130, 140, 1150, 140)
        s.parts.append(
            f'<path d="M1150 180 V130 L1172 110 L1194 130 V180 Z" fill="{PANEL}" stroke="{LINE}" '
            f'stroke-width="2"/>'
        )
        s.text(1172, 200, tr("syn.buildings", self.lang), size=11)

    def badges(self) -> None:
        where = {
            "silo": (130, 45),
            "screw": (255, 185),
            "wood": (440, 40),
            "oil": (440, 275),
            "buffer": (600, 45),
            "pumps": (760, 45),
            "network": (960, 45),
            "meter": (1130, 95),
        }
        for equipment, (prio, unacked) in self.alarm_badges().items():
            x, y = where[equipment]
            self.svg.badge(x, y, prio, equipment, unacked)

    def render(self) -> str:
        for part in (
            self.silo,
            self.screw,
            self.wood,
            self.oil,
            self.buffer,
            self.pumps,
            self.network,
            self.meter,
            self.badges,
        ):
            part()
        return self.svg.svg(tr("syn.title", self.lang))


def render(view: PlantView, now: datetime, lang: str = "fr") -> str:
    """The synoptic SVG for ``view`` at ``now`` in ``lang``."""
    return Synoptic(view, now, lang).render()


_cache: dict[tuple[int, str], tuple[int, int, str]] = {}


def render_shared(view: PlantView, now: datetime, lang: str = "fr") -> str:
    """:func:`render`, drawn once per view version, second and language for all pages."""
    key, second = (id(view), lang), int(now.timestamp())
    hit = _cache.get(key)
    if hit is not None and hit[0] == view.version and hit[1] == second:
        return hit[2]
    svg = render(view, now, lang)
    _cache[key] = (view.version, second, svg)
    return svg
