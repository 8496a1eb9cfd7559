"""HTML of the phone pages: plain server-rendered HTML, no script, one small stylesheet.

Designed for a 360 px wide screen (docs/hmi.md, "phone first"): the alarm's label, since when, its
live values, what the plant did, then one clear form. Every text comes from
:mod:`.texts`, French first with English under it; every dynamic value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from chaufferie.hmi.access import texts

STYLESHEET_PATH = "/access/style.css"

STYLESHEET = """
body{margin:0;background:#e6e6e6;color:#222;font:18px/1.35 system-ui,sans-serif}
main{max-width:360px;margin:0 auto;padding:12px}
h1{font-size:20px;margin:4px 0 10px}
.en{display:block;color:#555;font-size:15px}
.card{background:#f5f5f5;border:1px solid #999;border-radius:6px;padding:10px;margin:0 0 12px}
.p1{border-left:10px solid #c00}.p2{border-left:10px solid #e07000}.p3{border-left:10px solid #d8c000}
.badge{font-weight:bold}
table{width:100%;border-collapse:collapse}td{padding:4px 2px;border-bottom:1px solid #ccc}
td.v{text-align:right;font-weight:bold}.bad{color:#777}
label{display:block;margin:10px 0 4px}
input[type=password],input[type=text],input[type=tel],textarea{width:100%;box-sizing:border-box;
font-size:22px;padding:10px;border:1px solid #666;border-radius:6px}
input[type=checkbox]{width:28px;height:28px;vertical-align:middle}
button{width:100%;min-height:56px;margin-top:14px;font-size:20px;font-weight:bold;border-radius:8px;
border:2px solid #333;background:#333;color:#fff}
button .en{color:#ddd}
.msg{padding:10px;border-radius:6px;background:#fff;border:2px solid #333;margin-bottom:12px}
.err{border-color:#c00}
details{margin-top:10px}
a{color:#222}
"""


@dataclass(frozen=True, slots=True)
class ValueRow:
    label_fr: str
    label_en: str
    text: str
    good: bool


@dataclass(frozen=True, slots=True)
class AlarmPanel:
    """What the page shows about the alarm (built from the lookup, config and bus)."""

    code: str
    priority: int
    label_fr: str
    label_en: str
    since: datetime
    active: bool
    timezone: str
    values: tuple[ValueRow, ...] = ()
    plant: tuple[tuple[str, str], ...] = ()
    acked_by: str | None = None
    comments: tuple[tuple[datetime, str, str], ...] = ()


def bi(key: str, **values: str) -> str:
    """French line, English line under it (escaped)."""
    return (
        f'<span lang="fr">{escape(texts.fr(key, **values))}</span>'
        f'<span class="en" lang="en">{escape(texts.en(key, **values))}</span>'
    )


def frame(body: str) -> str:
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(texts.both('title'))}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}"></head>'
        f"<body><main>{body}</main></body></html>"
    )


def panel(p: AlarmPanel) -> str:
    local = p.since.astimezone(ZoneInfo(p.timezone)).strftime("%d/%m %H:%M")
    state = "state.active" if p.active else "state.cleared"
    parts = [
        f'<div class="card p{p.priority}"><span class="badge">P{p.priority} · {escape(p.code)}</span>',
        f'<h1>{escape(p.label_fr)}<span class="en" lang="en">{escape(p.label_en)}</span></h1>',
        f"<div>{escape(texts.fr('since'))} {local} — {escape(texts.fr(state))}"
        f'<span class="en">{escape(texts.en("since"))} {local} — {escape(texts.en(state))}</span></div>',
    ]
    if p.acked_by:
        parts.append(f"<div><b>{bi('acked_by')} {escape(p.acked_by)}</b></div>")
    parts.append("</div>")
    if p.values:
        parts.append(f'<div class="card"><b>{bi("values")}</b><table>{_rows(p.values)}</table></div>')
    if p.plant:
        lines = "".join(
            f'<div>{escape(fr)}<span class="en" lang="en">{escape(en)}</span></div>' for fr, en in p.plant
        )
        parts.append(f'<div class="card"><b>{bi("plant")}</b>{lines}</div>')
    if p.comments:
        tz = ZoneInfo(p.timezone)
        notes = "".join(
            f"<div>{at.astimezone(tz).strftime('%d/%m %H:%M')} · {escape(who)} : {escape(text)}</div>"
            for at, who, text in p.comments
        )
        parts.append(f'<div class="card"><b>{bi("history")}</b>{notes}</div>')
    return "".join(parts)


def _rows(rows: Iterable[ValueRow]) -> str:
    out = []
    for r in rows:
        cls = "v" if r.good else "v bad"
        mark = "" if r.good else f' <span title="{escape(texts.both("bad"))}">?</span>'
        out.append(
            f'<tr><td>{escape(r.label_fr)}<span class="en" lang="en">{escape(r.label_en)}</span></td>'
            f'<td class="{cls}">{escape(r.text)}{mark}</td></tr>'
        )
    return "".join(out)


def message(key: str, error: bool = False, **values: str) -> str:
    return f'<div class="msg{" err" if error else ""}" role="status">{bi(key, **values)}</div>'


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


def login_form(action: str, csrf: str) -> str:
    return (
        f'<form method="post" action="{escape(action)}" class="card">{_hidden("csrf", csrf)}'
        f'<label for="pin">{bi("pin")}</label>'
        '<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="one-time-code"'
        ' pattern="[0-9]*" maxlength="8">'
        f"<details><summary>{bi('or_login')}</summary>"
        f'<label for="username">{bi("username")}</label>'
        '<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none">'
        f'<label for="password">{bi("password")}</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password"></details>'
        f'<button type="submit" id="sign-in">{bi("sign_in")}</button></form>'
    )


def ack_form(action: str, csrf: str, occurrence_id: str, can_reset: bool) -> str:
    reset = (
        f'<label><input type="checkbox" name="reset" value="1" id="reset"> {bi("reset")}</label>'
        if can_reset
        else ""
    )
    return (
        f'<form method="post" action="{escape(action)}" class="card">{_hidden("csrf", csrf)}'
        f"{_hidden('occurrence', occurrence_id)}"
        f'<label for="comment">{bi("comment")}</label>'
        '<textarea id="comment" name="comment" rows="2" maxlength="500"></textarea>'
        f'{reset}<button type="submit" id="acknowledge">{bi("ack")}</button></form>'
    )


def arrival_form(action: str, csrf: str, deadline_text: str) -> str:
    return (
        f'<form method="post" action="{escape(action)}" class="card">{_hidden("csrf", csrf)}'
        f"<div>{bi('deadline')} : <b>{escape(deadline_text)}</b></div>"
        f'<button type="submit" id="arrived">{bi("arrived")}</button></form>'
    )


def milestone_form(action: str, csrf: str, key: str) -> str:
    """One button for a later step of the intervention (``made_safe``, ``repaired``)."""
    return (
        f'<form method="post" action="{escape(action)}" class="card">{_hidden("csrf", csrf)}'
        f'<button type="submit" id="{escape(key)}">{bi(key)}</button></form>'
    )


def refusal(key: str, **values: str) -> str:
    return frame(f"<h1>{bi('refused')}</h1>{message(key, error=True, **values)}")
