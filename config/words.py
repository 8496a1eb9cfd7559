"""The words of values, French first and English second, for every layer that shows one.

A value reaches people in an alarm email, an SMS, the synoptic or the phone acknowledgement
page; each of them reads it here, so a state says the same thing everywhere:

* :data:`STATE_WORDS` — the meaning of an enumerated point's state, keyed by the state's name
  in the point's ``states`` map (``wood.state`` 6 is ``fault``: « défaut »). A point whose
  states are not all here is refused at load (:mod:`~chaufferie.config.points`);
* :data:`REASON_WORDS` — the supervisor's reason codes (``supervisor/reasons.py``) in words;
* :data:`EVENT_VALUES` — the keys of a plant event's ``values`` that are not point names
  (``setpoint_c``, ``wood_unavailable``...): label, unit and how to read the value;
* :func:`point_value` / :func:`event_value` — ``label : value unit`` with the French decimal
  comma, booleans as yes/no words, states and reasons as words; never a raw key or number.

Data and pure functions only; this module imports nothing of ours but the point model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaufferie.config.points import Point
    from chaufferie.config.vocabulary import Scalar

Words = tuple[str, str]
"""(français, English)."""

STATE_WORDS: dict[str, Words] = {
    # wood.state: the wood boiler's sequence
    "off": ("arrêt", "off"),
    "ignition": ("allumage", "ignition"),
    "running": ("marche", "running"),
    "burn_out": ("fin de combustion", "burn-out"),
    "de_ashing": ("décendrage", "de-ashing"),
    "standby": ("attente", "standby"),
    "fault": ("défaut", "fault"),
    "lockout": ("verrouillée", "locked out"),
    # wood.fault_code: why the wood boiler is in fault
    "none": ("aucun", "none"),
    "ignition_failure": ("échec d'allumage", "ignition failure"),
    "overheat_stb": ("surchauffe (STB)", "over-temperature (STB)"),
    "burn_back": ("retour de flamme", "burn-back"),
    "screw_jam": ("vis de transfert bloquée", "transfer screw jammed"),
    "silo_empty": ("silo vide", "silo empty"),
    "flue_high": ("fumées trop chaudes", "flue gas too hot"),
    "sensor": ("défaut de sonde", "sensor fault"),
    # hydraulic.local_mode: the PLC's local fallback
    "supervisor_lost": ("supervision perdue", "supervisor lost"),
    # modem.registration and modem.sim: the GSM modem of the alerting chain
    "home": ("réseau de l'opérateur", "home network"),
    "searching": ("recherche du réseau", "searching"),
    "denied": ("refusée", "denied"),
    "unknown": ("inconnue", "unknown"),
    "roaming": ("itinérance", "roaming"),
    "ready": ("prête", "ready"),
    "pin": ("code PIN demandé", "PIN required"),
    "puk": ("code PUK demandé (carte bloquée)", "PUK required (card blocked)"),
    "absent": ("absente", "absent"),
}
"""A state name (a point's ``states`` map) → its meaning."""

FLAG_WORDS: dict[bool, Words] = {True: ("oui", "yes"), False: ("non", "no")}
"""A boolean point or event value."""

UNKNOWN_STATE: Words = ("état inconnu ({value})", "unknown state ({value})")
"""A number the point's ``states`` map does not list (the PLC sent something new)."""

PUMP_WORDS: Words = ("pompe {n}", "pump {n}")

REASON_WORDS: dict[str, Words] = {
    "wood_fault": ("défaut signalé par l'automate", "fault reported by the PLC"),
    "wood_lockout": ("verrouillage de sécurité", "safety lockout"),
    "ignition_failure": ("échec d'allumage", "ignition failure"),
    "start_timeout": ("démarrage trop long", "start took too long"),
    "screw_jam": ("vis de transfert bloquée", "transfer screw jammed"),
    "silo_empty": ("silo vide", "silo empty"),
    "comm_loss": ("perte de communication automate", "PLC communication lost"),
    "wood_insufficient": ("puissance bois insuffisante", "wood power insufficient"),
    "topup_no_longer_needed": ("appoint plus nécessaire", "top-up no longer needed"),
    "wood_modulation_low": ("modulation bois basse", "wood modulation low"),
    "oil_setpoint": ("consigne chaudière fioul", "oil boiler setpoint"),
    "wood_recovered": ("chaudière bois rétablie", "wood boiler recovered"),
    "supervisor_start": ("démarrage de la supervision", "supervisor start"),
    "input_bad": ("mesure invalide", "input bad"),
    "input_restored": ("mesure rétablie", "input restored"),
    "manual": ("demande manuelle", "manual request"),
    "manual_released": ("mode manuel libéré", "manual mode released"),
    "manual_expired": ("fin du mode manuel (durée écoulée)", "manual mode expired"),
    "not_authorised": ("droits insuffisants", "not authorised"),
    "invalid_request": ("demande invalide", "invalid request"),
    "season_stop": ("arrêt de saison confirmé", "season stop confirmed"),
    "season_start": ("reprise du chauffage confirmée", "heating start confirmed"),
    "unchanged": ("déjà en vigueur", "already in force"),
    "heating_curve": ("loi d'eau", "heating curve"),
    "auto_restart": ("redémarrage automatique", "automatic restart"),
    "wood_restarts_exhausted": ("redémarrages épuisés", "restarts exhausted"),
    "pump_fault": ("défaut pompe", "pump fault"),
    "pump_no_flow": ("pas de débit", "no flow"),
    "pump_recovered": ("pompe rétablie", "pump recovered"),
    "weekly_swap": ("permutation hebdomadaire", "weekly swap"),
    "both_pumps_failed": ("défaut des deux pompes", "both pumps failed"),
    "scheduled_test": ("test programmé", "scheduled test"),
    "on_demand_test": ("test à la demande", "on-demand test"),
    "test_reported_failed": ("échec signalé par l'automate", "failure reported by the PLC"),
    "test_completed": ("test terminé", "test completed"),
    "test_timeout": ("test sans réponse", "test timeout"),
    "screw_cutoff": ("arrêt de la vis", "screw cut-off"),
    "screw_released": ("vis libérée", "screw released"),
    "command_retry": ("nouvelle tentative de commande", "command retry"),
}
"""The supervisor's reason codes (``supervisor/reasons.py`` ``Reason``) → what they mean."""


class Kind(StrEnum):
    """How an event value reads."""

    NUMBER = "number"
    COUNT = "count"
    DURATION = "duration"
    """Seconds, shown as s, min or h min."""
    FLAG = "flag"
    REASON = "reason"
    """A supervisor reason code (:data:`REASON_WORDS`)."""
    PUMP = "pump"
    """A pump number (1 or 2)."""
    TEXT = "text"


@dataclass(frozen=True)
class EventValue:
    """What one key of a plant event's ``values`` means."""

    label_fr: str
    label_en: str
    kind: Kind = Kind.NUMBER
    unit: str = ""


EVENT_VALUES: dict[str, EventValue] = {
    "outlet_c": EventValue("Départ ballon tampon", "Buffer outlet", unit="°C"),
    "setpoint_c": EventValue("Consigne ballon tampon", "Buffer setpoint", unit="°C"),
    "previous_c": EventValue("Consigne précédente", "Previous setpoint", unit="°C"),
    "modulation_pct": EventValue("Modulation chaudière bois", "Wood boiler modulation", unit="%"),
    "outdoor_c": EventValue("Température extérieure", "Outdoor temperature", unit="°C"),
    "wood_running": EventValue("Chaudière bois en marche", "Wood boiler running", Kind.FLAG),
    "wood_unavailable": EventValue("Chaudière bois indisponible", "Wood boiler unavailable", Kind.REASON),
    "handover": EventValue("Changement de rôle sans arrêt", "Role changed without a stop", Kind.FLAG),
    "starts_last_hour": EventValue(
        "Démarrages fioul dans l'heure", "Oil starts in the last hour", Kind.COUNT
    ),
    "run_s": EventValue("Durée de marche fioul", "Oil run time", Kind.DURATION),
    "duration_s": EventValue("Durée", "Duration", Kind.DURATION),
    "from": EventValue("Pompe principale avant", "Duty pump before", Kind.PUMP),
    "to": EventValue("Pompe principale après", "Duty pump after", Kind.PUMP),
    "flow_m3h": EventValue("Débit réseau", "Network flow", unit="m³/h"),
    "pump1_fault": EventValue("Défaut pompe 1", "Pump 1 fault", Kind.FLAG),
    "pump2_fault": EventValue("Défaut pompe 2", "Pump 2 fault", Kind.FLAG),
    "silo_level_pct": EventValue("Niveau silo", "Silo level", unit="%"),
    "local_s": EventValue("Durée du mode local", "Time in local mode", Kind.DURATION),
    "oil_starts": EventValue("Démarrages fioul en mode local", "Oil starts in local mode", Kind.COUNT),
    "link": EventValue("Liaison", "Link", Kind.TEXT),
    "user": EventValue("Utilisateur", "User", Kind.TEXT),
}
"""The keys of ``PlantEvent.values`` that are not point names (the supervisor writes them)."""


def pick(words: Words, lang: str) -> str:
    """The English of ``words`` for ``lang`` "en", the French otherwise."""
    return words[1] if lang == "en" else words[0]


def state_word(state: str, lang: str) -> str:
    """The meaning of the state called ``state`` (its name, spaced, if it has no words)."""
    words = STATE_WORDS.get(state)
    return pick(words, lang) if words else state.replace("_", " ")


def reason_word(code: str, lang: str) -> str:
    """A supervisor reason code in words (the code, spaced, if it has no words)."""
    words = REASON_WORDS.get(code)
    return pick(words, lang) if words else code.replace("_", " ")


def flag_word(value: bool, lang: str) -> str:
    return pick(FLAG_WORDS[value], lang)


def number(value: float, lang: str, decimals: int = 1) -> str:
    """``value`` with ``decimals`` decimals, a decimal comma in French."""
    shown = f"{value:.{decimals}f}"
    return shown.replace(".", ",") if lang != "en" else shown


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2 h 05 min`` (the same in both languages)."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    minutes = s // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def with_unit(shown: str, unit: str) -> str:
    return f"{shown} {unit}" if unit else shown


def point_value(point: Point, value: Scalar, lang: str) -> str:
    """A point's value as people read it: state in words, yes/no, number with its unit."""
    if value is None:
        return "—"
    if isinstance(value, bool) or (point.is_bool and isinstance(value, int) and value in (0, 1)):
        return flag_word(bool(value), lang)
    if point.states is not None and isinstance(value, int | float):
        name = point.states.get(int(value))
        if name is None:
            return pick(UNKNOWN_STATE, lang).format(value=value)
        return state_word(name, lang)
    if isinstance(value, float):
        return with_unit(number(value, lang), point.unit)
    return with_unit(str(value), point.unit)


def event_value(key: str, value: Scalar, lang: str) -> tuple[str, str] | None:
    """The label and reading of an event value ``key`` (``None`` if the key has no words)."""
    meaning = EVENT_VALUES.get(key)
    if meaning is None:
        return None
    label = meaning.label_en if lang == "en" else meaning.label_fr
    return label, _event_reading(meaning, value, lang)


def _event_reading(meaning: EventValue, value: Scalar, lang: str) -> str:
    if value is None:
        return "—"
    kind = meaning.kind
    if kind is Kind.FLAG or isinstance(value, bool):
        return flag_word(bool(value), lang)
    if kind is Kind.REASON:
        return reason_word(str(value), lang)
    if isinstance(value, str):
        return value
    if kind is Kind.DURATION:
        return duration(value)
    if kind is Kind.PUMP:
        return pick(PUMP_WORDS, lang).format(n=int(value))
    if kind is Kind.COUNT:
        return str(int(value))
    return with_unit(number(value, lang), meaning.unit)
