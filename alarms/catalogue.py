"""Every text the alarms show to people, French first, English second.

Keys are stable codes (message kinds, oil roles); :func:`text` picks the language and
formats. Nothing user-facing is written inline elsewhere in the package. The words of values
(point states, supervisor reason codes, plant event values) are the ground floor's,
``config/words.py``, shared with the HMI.
"""

from __future__ import annotations

from typing import Any

from chaufferie.config.words import reason_word

Texts = dict[str, dict[str, str]]

OIL_ROLE: Texts = {
    "replacement": {"fr": "RELÈVE", "en": "REPLACEMENT"},
    "top_up": {"fr": "APPOINT", "en": "TOP-UP"},
}

OIL_CAUSE: Texts = {
    "replacement": {"fr": "défaut chaudière bois", "en": "wood boiler failed"},
    "top_up": {"fr": "chaudière bois insuffisante", "en": "wood boiler insufficient"},
}

MESSAGES: Texts = {
    "oil_start": {
        "fr": "Chaudière fioul en {role} : {cause}{reason} depuis {since}{buffer}",
        "en": "Oil boiler in {role}: {cause}{reason} since {since}{buffer}",
    },
    "oil_buffer": {"fr": " – ballon {temp:.0f} °C", "en": " – buffer {temp:.0f} °C"},
    "sms_oil": {
        "fr": "Fioul en {role_lower} : {cause}{reason} depuis {since}{buffer}",
        "en": "Oil in {role_lower}: {cause}{reason} since {since}{buffer}",
    },
    "subject": {
        "fr": "[{site}] P{priority} {code} – {label}",
        "en": "[{site}] P{priority} {code} – {label}",
    },
    "sms": {
        "fr": "{site} P{priority} {code} {time} {label}",
        "en": "{site} P{priority} {code} {time} {label}",
    },
    "sms_short": {"fr": "{site} P{priority} {code} {label}", "en": "{site} P{priority} {code} {label}"},
    "sms_link": {"fr": " Acq: répondre OK {reply} ou {link}", "en": " Ack: reply OK {reply} or {link}"},
    "sms_list": {"fr": " {link}", "en": " {link}"},
    "body_intro": {
        "fr": "Alarme {code} (priorité {priority}) sur {site} à {time} :",
        "en": "Alarm {code} (priority {priority}) at {site}, {time}:",
    },
    "body_values": {"fr": "Valeurs :", "en": "Values:"},
    "value_line": {"fr": "{label} : {value}", "en": "{label}: {value}"},
    "body_link": {
        "fr": "Acquitter ou commenter : {link}",
        "en": "Acknowledge or comment: {link}",
    },
    "body_escalated": {
        "fr": "Relance n°{step} : alarme toujours non acquittée.",
        "en": "Reminder #{step}: alarm still unacknowledged.",
    },
    "digest_subject": {
        "fr": "[{site}] {count} alarmes en {minutes} min",
        "en": "[{site}] {count} alarms in {minutes} min",
    },
    "digest_sms": {
        "fr": "{site} {count} alarmes: {codes}",
        "en": "{site} {count} alarms: {codes}",
    },
    "digest_intro": {
        "fr": "{count} alarmes regroupées (avalanche ou rafale) sur {site} :",
        "en": "{count} alarms grouped (flood or burst) at {site}:",
    },
    "digest_link": {"fr": "Liste des alarmes : {link}", "en": "Alarm list: {link}"},
    "daily_test_subject": {
        "fr": "[{site}] Test quotidien de la chaîne d'alerte",
        "en": "[{site}] Daily test of the alerting chain",
    },
    "daily_test": {
        "fr": "{site} : test quotidien de la chaîne d'alerte, {time}. Aucune action requise.",
        "en": "{site}: daily test of the alerting chain, {time}. No action needed.",
    },
    "fallback_subject": {
        "fr": "[{site}] SMS non délivré – copie par e-mail",
        "en": "[{site}] SMS not delivered – copy by email",
    },
    "channel.sms": {"fr": "SMS", "en": "SMS"},
    "channel.email": {"fr": "e-mail", "en": "email"},
    "notdef_detail": {
        "fr": "{channel} à {contact} non délivré ({error})",
        "en": "{channel} to {contact} not delivered ({error})",
    },
    "watchdog_detail": {
        "fr": "moteur d'alarmes muet depuis {seconds:.0f} s",
        "en": "alarm engine silent for {seconds:.0f} s",
    },
}


def text(table: Texts, key: str, lang: str, **values: Any) -> str:
    """The text ``key`` of ``table`` in ``lang`` (French if missing), formatted with ``values``."""
    entry = table.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["fr"]
    return template.format(**values) if values else template


def reason_text(code: str, lang: str) -> str:
    """A supervisor reason code in words (``config/words.py``)."""
    return reason_word(code, lang)
