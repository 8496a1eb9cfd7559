"""Settings changes from the HMI: validated by the config models, put in force, audited.

A change is merged into the section in force (``services.config``, the live configuration),
validated by the section's pydantic model (so the bounds and coherence rules are the
config's own) and handed to the injected :class:`SettingsStore`, which saves it and puts it
in force; without a store it is put in force directly (``services.settings.replace``). Either
way the one :class:`~chaufferie.config.live.LiveConfig` changes and the supervisor and the
alarms read the new value from it. The HMI writes the audit record: an ``OperatorAction``
(``SETTING_CHANGED`` for the cascade, the heating curve and the season, ``CONFIG_CHANGED`` for rota and
contacts) whose ``details`` carry ``section`` and ``values``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from chaufferie.alarms.people import PeopleChangeError, first_error, with_people_change
from chaufferie.config.alarming import Contact, Rota
from chaufferie.config.plant import CascadeSettings
from chaufferie.config.season import SeasonSettings
from chaufferie.config.settings import section_problems
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context
from chaufferie.hmi.records import Outcome
from chaufferie.hmi.services import HmiServices

SECTIONS: dict[str, tuple[type[BaseModel], ActionKind]] = {
    "cascade": (CascadeSettings, ActionKind.SETTING_CHANGED),
    "season": (SeasonSettings, ActionKind.SETTING_CHANGED),
    "rota": (Rota, ActionKind.CONFIG_CHANGED),
}
CASCADE_FIELDS = (
    "replacement_confirm_s",
    "replacement_drop_k",
    "comm_loss_s",
    "topup_modulation_pct",
    "topup_modulation_s",
    "topup_drop_k",
    "topup_drop_s",
    "oil_min_run_s",
    "oil_min_off_s",
    "oil_max_starts_per_hour",
    "setpoint_min_c",
    "setpoint_max_c",
)


def current(services: HmiServices, section: str) -> BaseModel | None:
    """The section in force now (the configuration's, as changed since start)."""
    section_in_force: BaseModel | None = getattr(services.config, section, None)
    return section_in_force


async def _put_in_force(
    services: HmiServices, section: str, values: Mapping[str, Any], value: Any, context: Context
) -> Outcome:
    """Through the settings store (saved, then in force) or, without one, in force only."""
    if services.settings_store is not None:
        return await services.settings_store.save(section, values, context)
    try:
        services.settings.replace(section, value, context)
    except ValueError as exc:
        return Outcome(False, str(exc))
    return Outcome(True)


async def apply(services: HmiServices, section: str, values: Mapping[str, Any], context: Context) -> Outcome:
    """Validate and apply ``values`` to ``section``; refused changes are audited too."""
    model, kind = SECTIONS[section]
    base = current(services, section)
    merged = {**(base.model_dump() if base is not None else {}), **values}
    try:
        validated = model.model_validate(merged)
        problems = section_problems(services.config.model_copy(update={section: validated}), section)
        if problems:
            raise ValueError(str(problems[0]))
    except (ValidationError, ValueError) as exc:
        message = first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        services.publish_action(
            kind,
            context,
            section,
            {"section": section, "values": dict(values), "error": message},
            ActionResult.REFUSED,
        )
        return Outcome(False, message)
    changed = {k: getattr(validated, k) for k in values}
    outcome = await _put_in_force(services, section, changed, validated, context)
    if not outcome.ok:
        services.publish_action(
            kind,
            context,
            section,
            {"section": section, "values": _plain(changed), "error": outcome.message},
            ActionResult.FAILED,
        )
        return outcome
    services.publish_action(kind, context, section, {"section": section, "values": _plain(changed)})
    return Outcome(True)


async def save_contact(services: HmiServices, contact: Mapping[str, Any], context: Context) -> Outcome:
    """Validate one contact (phone, email…) and announce it as a ``CONFIG_CHANGED``."""
    try:
        validated = Contact.model_validate(contact)
    except ValidationError as exc:
        return Outcome(False, first_error(exc))
    values = validated.model_dump(mode="json")
    try:
        contacts = with_people_change(services.config, "contacts", values).contacts
    except PeopleChangeError as exc:
        return Outcome(False, str(exc))
    outcome = await _put_in_force(services, "contacts", values, contacts, context)
    if not outcome.ok:
        return outcome
    services.publish_action(
        ActionKind.CONFIG_CHANGED, context, "contacts", {"section": "contacts", "values": values}
    )
    return Outcome(True)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-friendly copy (models and tuples become dicts and lists) for the audit."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, BaseModel):
            out[k] = v.model_dump(mode="json")
        elif isinstance(v, tuple | list):
            out[k] = [x.model_dump(mode="json") if isinstance(x, BaseModel) else x for x in v]
        else:
            out[k] = v
    return out
