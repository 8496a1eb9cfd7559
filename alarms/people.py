"""Rota and contacts changed while running (the HMI's settings page): merge, validate, check.

A change of ``rota`` is fields merged into the rota in force; a change of ``contacts`` is one
whole contact (added, or replacing the one with its id). :func:`with_people_change` returns
the configuration with the change applied, validated by the config's own models and
cross-reference rules (a rota naming an unknown contact is refused). The settings store of
the composition root uses it before it persists and puts the section in force
(:class:`~chaufferie.config.live.LiveConfig`), where the alarms read it.

Imports: the ground floor only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from chaufferie.config.alarming import Contact, Rota
from chaufferie.config.settings import PlantConfig, cross_references

SECTIONS = ("rota", "contacts")


class PeopleChangeError(ValueError):
    """A rota or contact change that the configuration's rules refuse (message for the user)."""


def first_error(exc: ValidationError) -> str:
    """The first problem of a validation error as ``field: message``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', '')}" if where else str(err.get("msg", ""))


def with_people_change(cfg: PlantConfig, section: str, values: Mapping[str, Any]) -> PlantConfig:
    """``cfg`` with the change applied; :class:`PeopleChangeError` when it is not valid."""
    try:
        if section == "rota":
            base = cfg.rota.model_dump() if cfg.rota is not None else {}
            changed = cfg.model_copy(update={"rota": Rota.model_validate({**base, **values})})
        elif section == "contacts":
            contact = Contact.model_validate(values)
            others = [c for c in cfg.contacts if c.id != contact.id]
            index = next((i for i, c in enumerate(cfg.contacts) if c.id == contact.id), len(others))
            others.insert(index, contact)
            changed = cfg.model_copy(update={"contacts": tuple(others)})
        else:
            raise PeopleChangeError(f"unknown section '{section}'")
    except ValidationError as exc:
        raise PeopleChangeError(first_error(exc)) from exc
    for problem in cross_references(changed):
        if problem.path[0] in SECTIONS:
            where = ".".join(str(p) for p in problem.path)
            raise PeopleChangeError(f"{where}: {problem.message} ({problem.value})")
    return changed
