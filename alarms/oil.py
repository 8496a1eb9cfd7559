"""The text of an oil-start alarm: relève or appoint, why, since when, buffer temperature.

``Chaudière fioul en RELÈVE : défaut chaudière bois (échec d'allumage) depuis 02:14 – ballon 71 °C``
— from the supervisor's ``OIL_STARTED`` plant event (role, reason code, values), times in the
site's time zone. The SMS form keeps the role in lower case (``relève``) because capital È
is not in the GSM-7 alphabet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chaufferie.alarms.catalogue import MESSAGES, OIL_CAUSE, OIL_ROLE, reason_text, text
from chaufferie.config.vocabulary import OilRole, PlantEvent, Scalar

GENERIC_REASONS = {OilRole.REPLACEMENT: "wood_fault", OilRole.TOP_UP: "wood_insufficient"}


def oil_start_text(
    event: PlantEvent, lang: str, tz: ZoneInfo, buffer_temp: Scalar, *, sms: bool = False
) -> str:
    """The message of an oil start in ``lang`` (``sms``: the short, GSM-friendly form)."""
    role = event.oil_role or OilRole.REPLACEMENT
    role_word = text(OIL_ROLE, role.value, lang)
    reason = ""
    if event.reason and event.reason != GENERIC_REASONS[role]:
        reason = f" ({reason_text(event.reason, lang)})"
    buffer = ""
    if isinstance(buffer_temp, int | float) and not isinstance(buffer_temp, bool):
        buffer = text(MESSAGES, "oil_buffer", lang, temp=float(buffer_temp))
    return text(
        MESSAGES,
        "sms_oil" if sms else "oil_start",
        lang,
        role=role_word,
        role_lower=role_word.lower(),
        cause=text(OIL_CAUSE, role.value, lang),
        reason=reason,
        since=local_time(event.time, tz),
        buffer=buffer,
    )


def local_time(t: datetime, tz: ZoneInfo) -> str:
    """``HH:MM`` in the site's time zone."""
    return t.astimezone(tz).strftime("%H:%M")


def oil_start_extra(event: PlantEvent, tz: ZoneInfo, buffer_temp: Scalar) -> dict[str, Any]:
    """What an oil-start occurrence carries: its messages in both languages, SMS forms, role."""
    return {
        "message": oil_start_text(event, "fr", tz, buffer_temp),
        "message_en": oil_start_text(event, "en", tz, buffer_temp),
        "short": {lang: oil_start_text(event, lang, tz, buffer_temp, sms=True) for lang in ("fr", "en")},
        "oil_role": event.oil_role,
    }
