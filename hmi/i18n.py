"""The HMI's words, French first and English second, from one catalogue (the glossary of docs/hmi.md).

``tr(key, lang, **fields)`` returns the text for ``lang`` ("fr" or "en") with ``{fields}``
filled in; an unknown key raises ``KeyError`` (tests check every key used exists). The same
word is used on every screen: relève / replacement, appoint / top-up, acquitter /
acknowledge, mise en attente / shelving... Point and alarm labels come from the config.
"""

from __future__ import annotations

from chaufferie.config.vocabulary import AlarmState, LinkState, OilRole, PlantMode
from chaufferie.hmi.texts import TEXTS

LANGUAGES = ("fr", "en")


def tr(key: str, lang: str = "fr", **fields: object) -> str:
    """The text called ``key`` in ``lang`` (French when ``lang`` is unknown)."""
    fr, en = TEXTS[key]
    text = en if lang == "en" else fr
    return text.format(**fields) if fields else text


def mode_label(mode: PlantMode | None, lang: str) -> str:
    return tr(f"mode.{mode.value if mode else 'unknown'}", lang)


def oil_role_label(role: OilRole | None, lang: str) -> str:
    return tr(f"oil.{role.value if role else 'off'}", lang)


def alarm_state_label(state: AlarmState, lang: str) -> str:
    return tr(f"alarm_state.{state.value}", lang)


def link_label(state: LinkState, lang: str) -> str:
    return tr(f"link.{state.value}", lang)


def reason_label(reason: str, lang: str) -> str:
    """A supervisor's reason code in words, or the code itself when not catalogued."""
    key = f"reason.{reason}"
    return tr(key, lang) if key in TEXTS else reason
