"""A tiny SVG writer for the process graphic: outlines, lines, texts and priority badges.

Each call appends one element; :meth:`Svg.svg` wraps them in an accessible ``<svg>`` (role
img, title). Texts are escaped. Imports only ``hmi.theme``.
"""

from __future__ import annotations

from html import escape

from chaufferie.hmi.theme import LINE, TEXT, priority_style

WIDTH, HEIGHT = 1200, 400


class Svg:
    """A tiny SVG writer: every call appends one element."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str = "none", **attrs: str) -> None:
        extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" stroke="{LINE}" '
            f'stroke-width="2" {extra}/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, width: int = 3) -> None:
        self.parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{LINE}" stroke-width="{width}"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: int = 14,
        fill: str = TEXT,
        bold: bool = False,
        anchor: str = "middle",
        italic: bool = False,
        test_id: str = "",
    ) -> None:
        weight = ' font-weight="700"' if bold else ""
        style = ' font-style="italic"' if italic else ""
        tid = f' data-testid="{escape(test_id)}"' if test_id else ""
        self.parts.append(
            f'<text x="{x}" y="{y}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"'
            f"{weight}{style}{tid}>{escape(s)}</text>"
        )

    def badge(self, x: float, y: float, priority: int, equipment: str, unacked: bool = False) -> None:
        """A priority badge: coloured shape with a dark outline and the text P1/P2/P3; the
        outline blinks while an alarm there is unacknowledged."""
        p = priority_style(priority)
        shapes = {
            "diamond": f"M{x} {y - 14} L{x + 14} {y} L{x} {y + 14} L{x - 14} {y} Z",
            "triangle": f"M{x} {y - 14} L{x + 15} {y + 12} L{x - 15} {y + 12} Z",
            "square": f"M{x - 12} {y - 12} H{x + 12} V{y + 12} H{x - 12} Z",
        }
        blink = ' class="unacked-svg"' if unacked else ""
        self.parts.append(
            f'<path d="{shapes[p.shape]}" fill="{p.fill}" stroke="#1F1F1F" stroke-width="2"{blink}/>'
        )
        self.text(x, y + 5, f"P{priority}", size=11, fill=p.text, bold=True, test_id=f"badge-{equipment}")

    def svg(self, title: str) -> str:
        body = "".join(self.parts)
        return (
            f'<svg class="synoptic" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>{body}</svg>"
        )
