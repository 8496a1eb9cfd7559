"""User-facing texts of the historian's reports and exports, French first, English second."""

from __future__ import annotations

from typing import Literal

Language = Literal["fr", "en"]

FIGURES: dict[str, tuple[str, str, str]] = {
    # key: (unit, French, English)
    "period": ("", "Période", "Period"),
    "start": ("", "Début", "Start"),
    "end": ("", "Fin", "End"),
    "wood_heat_mwh": ("MWh", "Chaleur bois", "Heat from wood"),
    "oil_heat_mwh": ("MWh", "Chaleur fioul", "Heat from oil"),
    "total_heat_mwh": ("MWh", "Chaleur totale", "Total heat"),
    "buildings_heat_mwh": ("MWh", "Chaleur livrée aux bâtiments", "Heat delivered to the buildings"),
    "loss_pct": ("%", "Pertes ballon et réseau", "Buffer and network losses"),
    "coverage_pct": ("%", "Taux de couverture bois", "Wood coverage rate"),
    "oil_litres": ("L", "Fioul consommé", "Oil burnt"),
    "oil_run_hours": ("h", "Heures de marche fioul", "Oil boiler run hours"),
    "chips_delivered_t": ("t", "Plaquettes livrées", "Chips delivered"),
    "chips_burnt_t": ("t", "Plaquettes consommées", "Chips burnt"),
    "chips_humidity_pct": ("%", "Humidité des plaquettes livrées", "Humidity of the chips delivered"),
    "chips_out_of_contract": (
        "",
        "Livraisons hors contrat (humidité)",
        "Deliveries out of contract (humidity)",
    ),
    "efficiency_pct": ("%", "Rendement saisonnier bois", "Seasonal wood efficiency"),
    "band_pct": (
        "%",
        "Temps du ballon dans la bande de régulation",
        "Time with the buffer in the regulation band",
    ),
    "electricity_kwh": ("kWh", "Électricité consommée", "Electricity used"),
    "electricity_peak_kw": ("kW", "Puissance électrique maximale", "Peak electric power"),
    "electricity_avg_kw": ("kW", "Puissance électrique moyenne", "Average electric power"),
    "makeup_water_l": ("L", "Eau d'appoint du réseau", "Network make-up water"),
    "degree_days": ("DJU", "Degrés-jours unifiés (base 18 °C)", "Heating degree-days (base 18 °C)"),
    "degree_days_missing": ("j", "Jours sans température extérieure", "Days without outdoor temperature"),
    "kwh_per_degree_day": ("kWh/DJU", "Chaleur par degré-jour", "Heat per degree-day"),
    "co2_avoided_t": ("t CO₂", "CO₂ évité (contre le tout fioul)", "CO₂ avoided (against oil alone)"),
    "cost_eur": ("€", "Coût (plaquettes, fioul, électricité, eau)", "Cost (chips, oil, electricity, water)"),
    "eur_per_mwh": ("€/MWh", "Coût par MWh de chaleur", "Cost per MWh of heat"),
    "oil_starts_replacement": ("", "Démarrages fioul en relève", "Oil starts as replacement"),
    "oil_starts_top_up": ("", "Démarrages fioul en appoint", "Oil starts as top-up"),
    "alarms_p1": ("", "Alarmes P1 (urgentes)", "P1 alarms (urgent)"),
    "alarms_p2": ("", "Alarmes P2 (hautes)", "P2 alarms (high)"),
    "alarms_p3": ("", "Alarmes P3 (basses)", "P3 alarms (low)"),
    "interventions": ("", "Interventions", "Interventions"),
    "interventions_late": ("", "Interventions en retard", "Late interventions"),
    "late_days": ("j", "Jours de retard", "Days late"),
    "penalties_eur": ("€", "Pénalités", "Penalties"),
}

TEXTS: dict[str, tuple[str, str]] = {
    "report_title_month": ("Rapport énergétique mensuel", "Monthly energy report"),
    "report_title_season": ("Rapport énergétique de saison de chauffe", "Heating season energy report"),
    "oil_starts_title": ("Démarrages du fioul par motif", "Oil starts by reason"),
    "months_title": ("Détail par mois", "Month by month"),
    "oil_method_litres": ("fioul calculé sur les litres consommés", "oil heat from litres burnt"),
    "oil_method_run_time": ("fioul calculé sur le temps de marche", "oil heat from run time"),
    "incomplete": ("données incomplètes", "incomplete data"),
    "incomplete_title": ("Données incomplètes", "Incomplete data"),
    "coverage": ("Couverture", "Coverage"),
    "coverage_title": ("Couverture des données", "Data coverage"),
    "gap": ("trou de {days} jours du {start} au {end}", "gap of {days} days from {start} to {end}"),
    "shortfall_no_readings": ("aucun relevé du compteur", "no meter readings"),
    "shortfall_gap": (
        "relevés interrompus plus de {hours} h",
        "readings interrupted for more than {hours} h",
    ),
    "shortfall_reset": (
        "remplacement de compteur suspecté (index revenu en arrière), à confirmer dans la main courante",
        "suspected meter replacement (index went backwards), to be confirmed in the logbook",
    ),
    "shortfall_not_metered": ("pas de compteur dans la configuration", "no such meter in the configuration"),
    "not_metered": ("non mesuré", "not metered"),
    "replacement": ("relève", "replacement"),
    "top_up": ("appoint", "top-up"),
    "unknown": ("inconnu", "unknown"),
    "history_time": ("Date", "Time"),
    "history_type": ("Type", "Type"),
    "history_kind": ("Événement", "Event"),
    "history_code": ("Code", "Code"),
    "history_priority": ("Priorité", "Priority"),
    "history_user": ("Utilisateur", "User"),
    "history_channel": ("Canal", "Channel"),
    "history_oil_role": ("Rôle fioul", "Oil role"),
    "history_message": ("Message", "Message"),
}


def text(key: str, language: Language = "fr") -> str:
    """The text ``key`` in ``language`` (the key itself when unknown)."""
    pair = TEXTS.get(key) or CONTRACT_TEXTS.get(key)
    if pair is None:
        return key
    return pair[0] if language == "fr" else pair[1]


BUILDING_FIGURE = "building_heat_mwh"
"""Figures ``building_heat_mwh.<building id>``: the heat one building's meter counted."""
BUILDING_LABEL = ("MWh", "Chaleur livrée — {name}", "Heat delivered — {name}")


def figure_label(key: str, language: Language = "fr", buildings: dict[str, str] | None = None) -> str:
    """Column heading of figure ``key``, with its unit: "Chaleur bois (MWh)"; a building's
    figure is named after the building (``buildings``: id → name)."""
    kind, _, building = key.partition(".")
    if kind == BUILDING_FIGURE and building:
        name = (buildings or {}).get(building, building)
        unit, fr, en = BUILDING_LABEL
        return _label((unit, fr.format(name=name), en.format(name=name)), language)
    return _label(FIGURES[key], language)


def _label(entry: tuple[str, str, str], language: Language) -> str:
    unit, fr, en = entry
    label = fr if language == "fr" else en
    return f"{label} ({unit})" if unit else label


def figure_unit(key: str) -> str:
    return BUILDING_LABEL[0] if key.startswith(f"{BUILDING_FIGURE}.") else FIGURES[key][0]


def contract_label(key: str, language: Language = "fr") -> str:
    """Heading of a figure of the contract report's summary, with its unit."""
    return _label(CONTRACT_FIGURES[key], language)


def call_label(key: str, language: Language = "fr") -> str:
    """Heading of a column of the contract report's list of calls, with its unit."""
    return _label(CALL_COLUMNS[key], language)


CONTRACT_FIGURES: dict[str, tuple[str, str, str]] = {
    # key: (unit, French, English) — one period's summary of the contract report
    "calls": ("", "Appels", "Calls"),
    "calls_call": ("", "dont appels de la centrale", "of which calls by the plant"),
    "calls_phone": ("", "dont appels téléphoniques", "of which phone calls"),
    "calls_ack": ("", "dont acquittements sans appel", "of which acknowledgements without a call"),
    "acknowledged": ("", "Appels acquittés", "Calls acknowledged"),
    "ack_median_h": ("h", "Délai d'acquittement médian", "Median time to acknowledge"),
    "ack_max_h": ("h", "Délai d'acquittement le plus long", "Longest time to acknowledge"),
    "arrived": ("", "Arrivées sur site", "Arrivals on site"),
    "arrival_median_h": ("h", "Délai d'arrivée médian", "Median time to arrive"),
    "arrival_max_h": ("h", "Délai d'arrivée le plus long", "Longest time to arrive"),
    "late_calls": ("", "Interventions en retard", "Late interventions"),
    "late_days": ("j", "Jours de retard", "Days late"),
    "penalties_eur": ("€", "Pénalités", "Penalties"),
    "disputes_disputed": ("", "Contestations en attente", "Disputes pending"),
    "disputes_accepted": ("", "Contestations acceptées", "Disputes accepted"),
    "disputes_rejected": ("", "Contestations rejetées", "Disputes rejected"),
}

CALL_COLUMNS: dict[str, tuple[str, str, str]] = {
    # key: (unit, French, English) — one line per call in the contract report
    "call_id": ("", "Référence", "Reference"),
    "origin": ("", "Origine", "Origin"),
    "code": ("", "Alarme", "Alarm"),
    "priority": ("", "Priorité", "Priority"),
    "caller": ("", "Appelant", "Caller"),
    "opened": ("", "Appel", "Call"),
    "deadline": ("", "Échéance", "Deadline"),
    "acknowledged": ("", "Acquittement", "Acknowledged"),
    "ack_h": ("h", "Délai d'acquittement", "Time to acknowledge"),
    "arrival": ("", "Arrivée sur site", "Arrival on site"),
    "arrival_h": ("h", "Délai d'arrivée", "Time to arrive"),
    "made_safe": ("", "Mise en sécurité", "Made safe"),
    "repaired": ("", "Fin de dépannage", "Repair ended"),
    "late_days": ("j", "Jours de retard", "Days late"),
    "index": ("", "Coefficient de révision", "Revision index"),
    "penalty_eur": ("€", "Pénalité", "Penalty"),
    "dispute": ("", "Contestation", "Dispute"),
    "dispute_reason": ("", "Motif de la contestation", "Reason given"),
    "dispute_note": ("", "Décision de la commune", "Commune's decision"),
}

CONTRACT_TEXTS: dict[str, tuple[str, str]] = {
    "contract_title_month": (
        "Rapport du contrat d'exploitation — mois",
        "Maintenance contract report — month",
    ),
    "contract_title_season": (
        "Rapport du contrat d'exploitation — saison de chauffe",
        "Maintenance contract report — heating season",
    ),
    "contract_calls_title": ("Les appels", "The calls"),
    "contract_as_of": ("Arrêté au", "As of"),
    "contract_rule": (
        "Délai : {hours} heures ouvrées en jours ouvrables après l'appel. Pénalité : {penalty} € "
        "révisés par jour calendaire de retard ; un appel jugé injustifié (contestation acceptée) "
        "n'en porte pas.",
        "Deadline: {hours} working hours on working days after the call. Penalty: {penalty} € "
        "revised per calendar day late; a call found unjustified (dispute accepted) carries none.",
    ),
    "origin_call": ("centrale", "plant"),
    "origin_phone": ("téléphone", "phone"),
    "origin_ack": ("acquittement", "acknowledgement"),
    "dispute_none": ("", ""),
    "dispute_disputed": ("contestée", "disputed"),
    "dispute_accepted": ("injustifiée (acceptée)", "unjustified (accepted)"),
    "dispute_rejected": ("contestation rejetée", "dispute rejected"),
    "open_so_far": ("en cours", "still open"),
}
