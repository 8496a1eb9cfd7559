"""The look: ISA-101 greys, alarm priority colours with their shape, and WCAG contrast.

Grey everywhere; colour only for abnormal states and alarms. A priority is always shown by
colour **and** shape **and** text (P1 red diamond, P2 orange triangle, P3 yellow square),
each badge with a dark outline so it stands out on the grey background even in grey-scale
print. Unacknowledged alarms blink (their outline only, and not when the user asked for
reduced motion); acknowledged ones are steady. ``contrast_ratio`` computes the WCAG 2.x
ratio that the tests check for every badge.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKGROUND = "#E3E3E3"
PANEL = "#F0F0F0"
LINE = "#4A4A4A"
TEXT = "#1F1F1F"
MUTED = "#6B6B6B"
BAD_QUALITY = "#8C8C8C"
OUTLINE = "#1F1F1F"
PRIMARY = "#37474F"
"""Controls (buttons, links): a dark blue-grey, never an alarm colour."""


@dataclass(frozen=True, slots=True)
class PriorityStyle:
    """How one alarm priority looks: fill, text colour, shape glyph and SVG path."""

    priority: int
    fill: str
    text: str
    glyph: str
    shape: str

    @property
    def css_class(self) -> str:
        return f"prio-{self.priority}"


PRIORITIES: dict[int, PriorityStyle] = {
    1: PriorityStyle(1, "#C62828", "#FFFFFF", "◆", "diamond"),
    2: PriorityStyle(2, "#EF6C00", "#000000", "▲", "triangle"),
    3: PriorityStyle(3, "#FDD835", "#000000", "■", "square"),
}


def priority_style(priority: int) -> PriorityStyle:
    return PRIORITIES.get(priority, PRIORITIES[3])


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    h = colour.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"expected #RRGGBB, got {colour!r}")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours (1 … 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _priority_css() -> str:
    rules = []
    for p in PRIORITIES.values():
        rules.append(f".{p.css_class}{{background:{p.fill};color:{p.text};border:2px solid {OUTLINE};}}")
    return "\n".join(rules)


CSS = f"""
body, .q-page {{ background:{BACKGROUND}; color:{TEXT}; }}
.q-header {{ background:#D0D0D0 !important; color:{TEXT} !important; border-bottom:1px solid {LINE}; }}
.hmi-panel {{ background:{PANEL}; border:1px solid #B5B5B5; border-radius:4px; }}
.hmi-badge {{ display:inline-flex; align-items:center; gap:4px; padding:1px 8px; border-radius:3px;
  font-weight:600; min-height:28px; }}
.hmi-count-zero {{ background:{PANEL}; color:{MUTED}; border:1px solid #9E9E9E; }}
{_priority_css()}
.unacked {{ animation: hmi-blink 1s steps(2, start) infinite; outline:3px solid {OUTLINE}; }}
@keyframes hmi-blink {{ 50% {{ outline-color: transparent; }} }}
.unacked-svg {{ animation: hmi-blink-svg 1s steps(2, start) infinite; stroke-width:4; }}
@keyframes hmi-blink-svg {{ 50% {{ stroke-opacity:0; }} }}
@media (prefers-reduced-motion: reduce) {{ .unacked {{ animation:none; outline-width:4px; }}
  .unacked-svg {{ animation:none; }} }}
.hmi-bad {{ color:{BAD_QUALITY}; font-style:italic; }}
.hmi-link-down {{ background:{PRIORITIES[1].fill}; color:#FFFFFF; border:2px solid {OUTLINE}; }}
.hmi-nav a {{ color:{TEXT}; }}
.hmi-alarm-row:focus {{ outline:3px solid #1565C0; outline-offset:-3px; }}
.hmi-alarm-row.selected {{ background:#D6D6D6; }}
svg.synoptic text {{ font-family: system-ui, sans-serif; }}
.q-btn {{ min-height:40px; text-transform:none; }}
"""
