"""Fuzzing the settings edit path: ``hmi.settings_edit.apply`` / ``save_contact`` with the
root's ``FileSettingsStore``, as the settings page calls them, with random fields and values.

A change is either refused cleanly (an ``Outcome`` with a message, audited, nothing kept:
no override, no file) or accepted and valid (the saved file re-applies at start to a
configuration that validates, with the same section). Never an exception.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from pydantic import BaseModel

from chaufferie.config import vocabulary as voc
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.live import LiveConfig
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig, cross_references
from chaufferie.config.vocabulary import ActionResult, OperatorAction
from chaufferie.hmi import settings_edit
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.settings_store import FileSettingsStore, apply_saved_overrides, overrides_path
from tests.fuzz.support import FUZZ
from tests.support.hmi import access_layer

TECH = voc.Context(origin="hmi", user="tech", channel=voc.Channel.HMI, address="127.0.0.1")
BASE = load_config(default_config_path())
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**66), max_value=2**66),
    FINITE,
    st.text(max_size=12),
    st.sampled_from(["", "12", "1,5", "08:00", "2026-01-05", "tech-martin", "mgr-dubois", "+33612345678"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
)


def fields(model: BaseModel) -> st.SearchStrategy[dict[str, Any]]:
    """Random changes of ``model``'s fields (plus an unknown one), each value random or a
    near copy of the current value (a list of its items, a number near it)."""
    names = list(type(model).model_fields)

    def value_for(name: str) -> st.SearchStrategy[Any]:
        current = getattr(model, name, None)
        if isinstance(current, bool) or current is None:
            return VALUES
        if isinstance(current, int | float):
            near = (
                st.integers(0, 2 * int(current) + 2)
                if isinstance(current, int)
                else st.floats(0, 2 * current + 1)
            )
            return st.one_of(VALUES, st.floats(min_value=-1e6, max_value=1e6), *[near] * 6)
        if isinstance(current, tuple):
            items = [x.model_dump() if isinstance(x, BaseModel) else x for x in current]
            return st.one_of(VALUES, st.lists(st.sampled_from(items) if items else VALUES, max_size=4))
        return VALUES

    changes = st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: value_for(k) for k in keys})
    )
    unknown = st.fixed_dictionaries({"no_such_field": VALUES})
    return st.one_of(changes, changes, changes, unknown)


SECTION_CHANGE = st.one_of(
    st.tuples(st.just("cascade"), fields(BASE.cascade)),
    st.tuples(st.just("rota"), fields(BASE.rota)),
)
CONTACT = st.one_of(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["tech-martin", "new-one", "", "x" * 80])},
        optional={
            "name": VALUES,
            "phone": st.one_of(VALUES, st.sampled_from(["+33612345678", "0612345678", "+3361234567890123"])),
            "email": st.one_of(VALUES, st.just("a@b.fr")),
            "role": st.one_of(VALUES, st.sampled_from(["technician", "viewer", "god"])),
            "language": st.one_of(VALUES, st.sampled_from(["fr", "en", "de"])),
        },
    ),
    st.dictionaries(st.text(max_size=8), VALUES, max_size=4),
)


@cache
def authenticator() -> HmiAuthenticator:
    """The real sign-in (no user: these edits are made by code, not through the login page)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-access-"))
    return HmiAuthenticator(access_layer(BASE, Bus(), VirtualClock(), folder, users={}))


@contextmanager
def hmi_services() -> Iterator[tuple[HmiServices, PlantConfig, Bus]]:
    """The HMI services with the root's settings store, on a fresh data folder."""
    with tempfile.TemporaryDirectory() as folder:
        cfg = BASE.model_copy(update={"data_dir": folder})
        bus = Bus()
        live = LiveConfig(cfg, bus)
        yield (
            HmiServices(live, bus, VirtualClock(), authenticator(), settings_store=FileSettingsStore(live)),
            cfg,
            bus,
        )


def finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite(v) for v in value)
    return True


def check(
    ok: bool, hmi: HmiServices, cfg: PlantConfig, bus: Bus, section: str, audit: list[OperatorAction]
) -> None:
    saved = overrides_path(cfg)
    event(f"{section}: {'accepted' if ok else 'refused'}")  # --hypothesis-show-statistics
    if not ok:
        assert hmi.config == cfg, "a refused change must not be put in force"
        assert not saved.exists(), "a refused change must not be written"
        return
    assert saved.exists()
    again, _ = apply_saved_overrides(cfg)  # what the next start reads
    assert cross_references(again) == []
    if section != "contacts":
        assert getattr(again, section) == settings_edit.current(hmi, section)
        assert finite(getattr(again, section).model_dump(mode="json"))
    assert [a.result for a in audit] == [ActionResult.OK]


@FUZZ
@given(SECTION_CHANGE)
@example(("cascade", {"replacement_drop_k": 4.0, "oil_min_run_s": 900}))  # accepted ones, whatever is drawn
@example(("rota", {"handover_weekday": 2, "handover_time": "07:30"}))
async def test_a_section_change_is_refused_cleanly_or_accepted_and_valid(
    change: tuple[str, dict[str, Any]],
) -> None:
    section, values = change
    with hmi_services() as (hmi, cfg, bus), bus.subscribe(OperatorAction, name="fuzz") as sub:
        outcome = await settings_edit.apply(hmi, section, values, TECH)
        audit = [m for m in sub.drain() if isinstance(m, OperatorAction)]
        if not outcome.ok:
            assert outcome.message
            assert [a.result for a in audit] in ([ActionResult.REFUSED], [ActionResult.FAILED])
        check(outcome.ok, hmi, cfg, bus, section, audit)


@FUZZ
@given(CONTACT)
@example({"id": "new-one", "name": "Léa Roux", "phone": "+33698765432", "role": "technician"})
async def test_a_contact_is_refused_cleanly_or_accepted_and_valid(contact: dict[str, Any]) -> None:
    with hmi_services() as (hmi, cfg, bus), bus.subscribe(OperatorAction, name="fuzz") as sub:
        outcome = await settings_edit.save_contact(hmi, contact, TECH)
        audit = [m for m in sub.drain() if isinstance(m, OperatorAction)]
        if not outcome.ok:
            assert outcome.message
        check(outcome.ok, hmi, cfg, bus, "contacts", audit)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
async def test_a_threshold_that_is_not_a_finite_number_is_refused(value: float) -> None:
    with hmi_services() as (hmi, cfg, _bus):
        outcome = await settings_edit.apply(hmi, "cascade", {"replacement_drop_k": value}, TECH)
        assert not outcome.ok
        assert hmi.config == cfg
