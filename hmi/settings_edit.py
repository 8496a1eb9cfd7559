"""Settings changes from the HMI: validated by the config models, applied live, audited.

A change is merged into the current section (config plus earlier changes), validated by the
section's pydantic model (so the bounds and coherence rules are the config's own), kept in
``services.overrides``, handed to the injected :class:`SettingsStore` when there is one, and
announced on the bus as an ``OperatorAction`` (``SETTING_CHANGED`` for the cascade and the
heating curve, ``CONFIG_CHANGED`` for rota and contacts) whose ``details`` carry
``section`` and ``values``: the supervisor and the alarms apply it without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from chaufferie.alarms.people import first_error
from chaufferie.config.alarming import Contact, Rota
from chaufferie.config.plant import CascadeSettings
from chaufferie.config.settings import section_problems
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context
from chaufferie.hmi.ports import Outcome
from chaufferie.hmi.services import HmiServices

SECTIONS: dict[str, tuple[type[BaseModel], ActionKind]] = {
    "cascade": (CascadeSettings, ActionKind.SETTING_CHANGED),
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
    """The section as it is now: config plus changes made since start."""
    base: BaseModel | None = getattr(services.config, section, None)
    if base is None:
        return None
    changes = services.overrides.get(section)
    return base.model_copy(update=changes) if changes else base


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
    if services.settings_store is not None:
        outcome = await services.settings_store.save(section, changed, context)
        if not outcome.ok:
            services.publish_action(
                kind,
                context,
                section,
                {"section": section, "values": _plain(changed), "error": outcome.message},
                ActionResult.FAILED,
            )
            return outcome
    services.overrides.setdefault(section, {}).update(changed)
    services.publish_action(kind, context, section, {"section": section, "values": _plain(changed)})
    return Outcome(True)


async def save_contact(services: HmiServices, contact: Mapping[str, Any], context: Context) -> Outcome:
    """Validate one contact (phone, email…) and announce it as a ``CONFIG_CHANGED``."""
    try:
        validated = Contact.model_validate(contact)
    except ValidationError as exc:
        return Outcome(False, first_error(exc))
    values = validated.model_dump(mode="json")
    if services.settings_store is not None:
        outcome = await services.settings_store.save("contacts", values, context)
        if not outcome.ok:
            return outcome
    services.overrides.setdefault("contacts", {})[validated.id] = values
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
