"""User-facing texts of the PLC bridge, French first then English (a catalogue, not inline).

:func:`say` renders one entry as ``"<français> / <English>"``: a command result or an audit
entry is read by the HMI, by a technician on a phone and by the contractor in an export.
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, tuple[str, str]] = {
    "unknown_point": ("Point inconnu : {point}", "Unknown point: {point}"),
    "read_only": ("Point en lecture seule : {point}", "Read-only point: {point}"),
    "not_bool": (
        "{point} attend vrai/faux, reçu {value!r}",
        "{point} expects true/false, got {value!r}",
    ),
    "not_number": (
        "{point} attend un nombre fini, reçu {value!r}",
        "{point} expects a finite number, got {value!r}",
    ),
    "not_integer": (
        "{point} attend un nombre entier, reçu {value!r}",
        "{point} expects a whole number, got {value!r}",
    ),
    "out_of_bounds": (
        "{value} hors limites pour {point} ({min} … {max})",
        "{value} outside bounds for {point} ({min} … {max})",
    ),
    "pulse_true_only": (
        "{point} est une impulsion : seul « vrai » s'écrit, l'automate la remet à faux",
        "{point} is a pulse: only true is written, the PLC resets it",
    ),
    "rate_limited": (
        "Écriture trop rapprochée sur {point} : attendre {wait:.0f} s",
        "Write too soon on {point}: wait {wait:.0f} s",
    ),
    "no_link": ("Liaison {link} indisponible pour {point}", "Link {link} not available for {point}"),
    "link_down": (
        "Écriture de {point} impossible : liaison en défaut ({error})",
        "Cannot write {point}: link failure ({error})",
    ),
    "readback_mismatch": (
        "{point} relu à {readback!r} au lieu de {value!r}",
        "{point} read back as {readback!r} instead of {value!r}",
    ),
    "confirmed": (
        "{point} = {readback!r} confirmé par relecture",
        "{point} = {readback!r} confirmed by read-back",
    ),
    "pulse_sent": (
        "Impulsion envoyée sur {point} (relu {readback!r})",
        "Pulse sent on {point} (read back {readback!r})",
    ),
}


def say(key: str, **values: Any) -> str:
    """The catalogue entry ``key`` in French then English, filled with ``values``."""
    french, english = TEXTS[key]
    return f"{french.format(**values)} / {english.format(**values)}"
