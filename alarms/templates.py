"""Messages to people: SMS (GSM-7, 160 characters when possible), email text and HTML.

Texts come from :mod:`~chaufferie.alarms.catalogue` in the recipient's language; times are
shown in the site's time zone. An SMS is transliterated to the GSM-7 alphabet (``ê``→``e``,
``°``→ nothing, ``–``→``-``…) so it costs one segment, and its text is shortened — never its
acknowledgement link — to fit 160 characters.

Links and SMS reply codes are credentials: each :class:`Rendered` also carries ``sms_shown``,
the SMS with them replaced by :data:`HIDDEN_LINK` / :data:`HIDDEN_CODE`, which is all a
notification record (history, exports) ever holds.
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from chaufferie.alarms.catalogue import MESSAGES, text
from chaufferie.alarms.machine import Occurrence
from chaufferie.config.alarming import AlarmDefinition
from chaufferie.config.points import Point
from chaufferie.config.settings import PlantConfig
from chaufferie.config.words import event_value, point_value

log = logging.getLogger(__name__)

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€")
_TRANSLIT = {
    "°": "",
    "–": "-",
    "—": "-",
    "’": "'",
    "‘": "'",
    "«": '"',
    "»": '"',
    "…": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
}
SMS_LIMIT = 160
SEGMENT = 153
"""GSM-7 characters per segment of a concatenated SMS."""
HIDDEN_LINK = "[lien/link]"
HIDDEN_CODE = "******"


@dataclass(frozen=True)
class Rendered:
    """One notification in every form a channel may need."""

    subject: str
    sms: str
    text: str
    html: str
    sms_shown: str = ""
    """The SMS without its link and reply code (what records may show)."""


@dataclass(frozen=True)
class Site:
    """What templates need to know about the site."""

    id: str
    name: str
    tz: ZoneInfo
    points: dict[str, Point]
    """The configured points by name: labels, units and state maps of an alarm's values."""

    @classmethod
    def of(cls, cfg: PlantConfig) -> Site:
        return cls(cfg.site.id, cfg.site.name, ZoneInfo(cfg.site.timezone), {p.name: p for p in cfg.points})


def gsm7_length(s: str) -> int | None:
    """Septets needed for ``s`` in GSM-7 (None if some character is not in the alphabet)."""
    n = 0
    for ch in s:
        if ch in GSM7:
            n += 1
        elif ch in GSM7_EXTENDED:
            n += 2
        else:
            return None
    return n


def to_gsm7(s: str) -> str:
    """``s`` with every character outside GSM-7 replaced by its closest GSM-7 spelling."""
    out = []
    for ch in s:
        if ch in GSM7 or ch in GSM7_EXTENDED:
            out.append(ch)
        elif ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)[0]
            out.append(base if base in GSM7 else "?")
    return re.sub(r"\s+", " ", "".join(out))


def fit_sms(body: str, tail: str = "", limit: int = SMS_LIMIT, min_body: int = 60) -> str:
    """GSM-7 ``body + tail``, the body shortened (``...``) to fit one SMS of ``limit``.

    When ``tail`` (the link) is too long to leave ``min_body`` characters of text in one SMS,
    the message takes as few 153-character segments as hold the tail and that much text.
    """
    body, tail = to_gsm7(body), to_gsm7(tail) if tail else ""
    body_len, tail_len = _len7(body), _len7(tail)
    if body_len + tail_len <= limit:
        return body + tail
    if tail_len + min(body_len, min_body) > limit:
        limit = SEGMENT * math.ceil((tail_len + min(body_len, min_body)) / SEGMENT)
    room = limit - tail_len
    if body_len <= room:
        return body + tail
    cut = body
    while cut and _len7(cut) + 3 > room:
        cut = cut[:-1]
    return cut.rstrip() + "..." + tail


def _len7(s: str) -> int:
    n = gsm7_length(s)
    return len(s) if n is None else n


def _lang_pick(lang: str, fr: str, en: str) -> str:
    return en if lang == "en" and en else fr


def _sms(body: str, tail: str, shown_tail: str) -> tuple[str, str]:
    """The SMS ``body + tail`` (:func:`fit_sms`) and the same SMS with ``shown_tail`` instead."""
    sms = fit_sms(body, tail)
    tail7 = to_gsm7(tail) if tail else ""
    return sms, sms.removesuffix(tail7) + (to_gsm7(shown_tail) if shown_tail else "")


def _link_tail(lang: str, link: str, reply: str | None) -> tuple[str, str]:
    """The end of an alarm SMS: how to acknowledge, then the same with the credentials hidden."""
    if not link:
        return "", ""
    if not reply:
        return text(MESSAGES, "sms_list", lang, link=link), text(MESSAGES, "sms_list", lang, link=HIDDEN_LINK)
    return (
        text(MESSAGES, "sms_link", lang, link=link, reply=reply),
        text(MESSAGES, "sms_link", lang, link=HIDDEN_LINK, reply=HIDDEN_CODE),
    )


def render_alarm(
    site: Site,
    occ: Occurrence,
    alarm: AlarmDefinition,
    lang: str,
    link: str,
    step: int = 0,
    reply: str | None = None,
) -> Rendered:
    """An alarm notification (``step`` > 0: a reminder of an unacknowledged alarm); ``reply``
    is the SMS reply code offered next to the link (none: the link only)."""
    label = _lang_pick(lang, alarm.label_fr, alarm.label_en)
    message = _lang_pick(lang, occ.message, occ.message_en)
    when = occ.raised_at.astimezone(site.tz)
    stamp = when.strftime("%d/%m %H:%M") if lang == "fr" else when.strftime("%Y-%m-%d %H:%M")
    common = {"site": site.id, "priority": occ.priority, "code": occ.code}
    short = occ.short.get(lang)
    sms, shown = _sms(
        text(MESSAGES, "sms_short", lang, **common, label=short)
        if short
        else text(MESSAGES, "sms", lang, **common, label=message, time=when.strftime("%H:%M")),
        *_link_tail(lang, link, reply),
    )
    lines = [text(MESSAGES, "body_intro", lang, **(common | {"site": site.name}), time=stamp), "", message]
    if message != label:
        lines += ["", label]
    if step:
        lines += ["", text(MESSAGES, "body_escalated", lang, step=step)]
    values = _values(site, occ, lang)
    if values:
        lines += ["", text(MESSAGES, "body_values", lang), *(f"  - {v}" for v in values)]
    help_text = _lang_pick(lang, alarm.help_fr, alarm.help_en)
    if help_text:
        lines += ["", help_text]
    if link:
        lines += ["", text(MESSAGES, "body_link", lang, link=link)]
    subject = text(MESSAGES, "subject", lang, **common, label=message if occ.oil_role else label)
    return Rendered(subject, sms, "\n".join(lines) + "\n", _html(subject, lines, link), shown)


def render_digest(
    site: Site, items: Sequence[tuple[Occurrence, AlarmDefinition]], lang: str, link: str, minutes: int
) -> Rendered:
    """One message for many alarms (a burst or a flood), not one per alarm."""
    codes = sorted({o.code for o, _ in items})
    common = {"site": site.id, "count": len(items)}
    # an oil start must say relève or appoint even inside a summary
    oil = [o.short.get(lang, "") for o, _ in items if o.oil_role is not None and o.short.get(lang)]
    body = text(MESSAGES, "digest_sms", lang, **common, codes=" ".join(codes))
    sms, shown = _sms(" - ".join([body, *oil]), *_link_tail(lang, link, None))
    lines = [text(MESSAGES, "digest_intro", lang, count=len(items), site=site.name), ""]
    for occ, alarm in sorted(items, key=lambda i: (i[0].priority, i[0].raised_at)):
        when = occ.raised_at.astimezone(site.tz).strftime("%H:%M")
        label = _lang_pick(lang, occ.message, occ.message_en) or alarm.label_fr
        lines.append(f"  - {when} P{occ.priority} {occ.code} {label}")
    if link:
        lines += ["", text(MESSAGES, "digest_link", lang, link=link)]
    subject = text(MESSAGES, "digest_subject", lang, **common, minutes=minutes)
    return Rendered(subject, sms, "\n".join(lines) + "\n", _html(subject, lines, link), shown)


def render_plain(subject: str, body: str) -> Rendered:
    """A message that is the same in every form (daily test, fallback copy)."""
    sms = fit_sms(body)
    return Rendered(subject, sms, body + "\n", _html(subject, body.splitlines(), ""), sms)


def _values(site: Site, occ: Occurrence, lang: str) -> list[str]:
    """``label : value unit`` for each value of the occurrence, in words (``config/words.py``):
    a point by its label and state words, a plant event value by its own label. A value never
    read (``None``) is left out, and so is a second value of the same label (the network flow
    read with the alarm and the one in the supervisor's event)."""
    lines: dict[str, str] = {}
    for name, value in occ.values.items():
        if value is None:
            continue
        point = site.points.get(name)
        if point is not None:
            label, shown = _lang_pick(lang, point.label_fr, point.label_en), point_value(point, value, lang)
        elif (described := event_value(name, value, lang)) is not None:
            label, shown = described
        else:
            log.warning("alarm %s: value %r has no words (config/words.py EVENT_VALUES)", occ.code, name)
            continue
        lines.setdefault(label, text(MESSAGES, "value_line", lang, label=label, value=shown))
    return list(lines.values())


def _html(subject: str, lines: Sequence[str], link: str) -> str:
    body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines)
    if link:
        body = body.replace(html.escape(link), f'<a href="{html.escape(link)}">{html.escape(link)}</a>')
    return f"<html><head><title>{html.escape(subject)}</title></head><body>{body}</body></html>"
