"""The alarm page: list with priority colour+shape+text, actions by role, refusal when forced."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from sqlalchemy import Engine

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    AlarmState,
    AlarmTransition,
    Channel,
    CommandResult,
    CommandStatus,
    Context,
    OperatorAction,
    Role,
)
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.pages.alarms import AlarmPanel
from chaufferie.hmi.pages.frame import PageContext
from chaufferie.hmi.records import UserSession
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import Plc, login
from tests.support.alarms import PlantAlarms


def audits(sub: Subscription, kind: ActionKind) -> list[OperatorAction]:
    return [a for a in sub.drain() if isinstance(a, OperatorAction) and a.kind is kind]


async def test_active_alarm_shows_priority_shape_text_label_and_state(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    await plant_alarms.raise_alarm("CHB-DEF")
    await plant_alarms.raise_alarm("CEN-PLN")
    await plant_alarms.raise_alarm("PRS-HT", 3.62)
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        await user.should_see("◆ P1 urgente")
        await user.should_see("■ P3 basse")
        await user.should_see("CHB-DEF Défaut chaudière bois")
        await user.should_see("active non acquittée")
        await user.should_see("3,6 bar")


async def test_viewer_is_offered_no_alarm_action(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    await plant_alarms.raise_alarm("CHB-DEF")
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        await user.should_see(marker="alarm-CHB-DEF")
        for action in ("ack", "shelve", "comment", "reset"):
            await user.should_not_see(marker=f"{action}-CHB-DEF")
        await user.should_see(marker="details-CHB-DEF")


async def test_operator_may_shelve_and_comment_but_not_acknowledge(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    await plant_alarms.raise_alarm("SIL-BAS")
    async with hmi_user() as user:
        await login(user, "operator", path="/alarms")
        await user.should_see(marker="shelve-SIL-BAS")
        await user.should_see(marker="comment-SIL-BAS")
        await user.should_not_see(marker="ack-SIL-BAS")


async def test_technician_acknowledges_and_the_list_shows_it_acknowledged(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    occ = await plant_alarms.raise_alarm("CHB-DEF")
    audit = services.bus.subscribe(OperatorAction, name="audit")
    async with hmi_user() as user:
        await login(user, "tech", path="/alarms")
        user.find(marker="ack-CHB-DEF").click()
        await user.should_see("Alarme CHB-DEF acquittée")
        await user.should_see(marker="state-CHB-DEF", content="active acquittée", retries=30)
        await user.should_not_see(marker="ack-CHB-DEF")
        await user.should_see("acquittée par tech (IHM)")
    occurrence = plant_alarms.engine.get(occ)
    assert occurrence is not None
    assert (occurrence.acked, occurrence.acked_by) == (True, "tech")
    [record] = audits(audit, ActionKind.ACKNOWLEDGE)
    assert (record.target, record.context.user, record.context.channel.value) == (occ, "tech", "hmi")


async def test_shelving_needs_a_reason_and_passes_the_duration(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    occ = await plant_alarms.raise_alarm("SIL-BAS")
    shelved_at = plant_alarms.clock.now()
    async with hmi_user() as user:
        await login(user, "operator", path="/alarms")
        user.find(marker="shelve-SIL-BAS").click()
        user.find(marker="shelve-confirm").click()
        await user.should_see("Le motif est obligatoire")
        assert plant_alarms.engine.get(occ).shelved_until is None  # type: ignore[union-attr]
        user.find(marker="shelve-reason").type("livraison prévue demain")
        user.find(marker="shelve-hours").clear().type("4")
        user.find(marker="shelve-confirm").click()
        await user.should_see(marker="state-SIL-BAS", content="en attente", retries=30)
    occurrence = plant_alarms.engine.get(occ)
    assert occurrence is not None
    assert (occurrence.shelve_reason, occurrence.shelved_by) == ("livraison prévue demain", "operator")
    assert occurrence.shelved_until == shelved_at + timedelta(hours=4)


async def test_comment_is_passed_with_its_author(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    occ = await plant_alarms.raise_alarm("VIS-INV")
    async with hmi_user() as user:
        await login(user, "operator", path="/alarms")
        user.find(marker="comment-VIS-INV").click()
        user.find(marker="comment-text").type("vis graissée")
        user.find(marker="comment-confirm").click()
        await user.should_see("Fait")
    occurrence = plant_alarms.engine.get(occ)
    assert occurrence is not None
    assert [(c.user, c.text) for c in occurrence.comments] == [("operator", "vis graissée")]


async def test_reset_is_offered_only_for_a_resettable_alarm(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms, plc: Plc
) -> None:
    results = services.bus.subscribe(CommandResult, name="results")
    await plant_alarms.raise_alarm("CHB-DEF")  # resettable
    await plant_alarms.raise_alarm("CHB-STB")  # latched, reset on site only
    async with hmi_user() as user:
        await login(user, "tech", path="/alarms")
        await user.should_see(marker="reset-CHB-DEF")
        await user.should_not_see(marker="reset-CHB-STB")
        user.find(marker="reset-CHB-DEF").click()
        await user.should_see("Fait", retries=30)
    sent = [(r.point, r.value, r.status, r.context.user) for r in results.drain()]  # type: ignore[union-attr]
    assert sent == [(services.config.io.wood_fault_reset, True, CommandStatus.CONFIRMED, "tech")]


async def test_occurrence_history_lists_transitions_and_acknowledgements(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms, plant_db: Engine
) -> None:
    """What the engine did with the occurrence, written by the historian, read back by the page."""
    recorded = services.bus.subscribe(AlarmTransition, OperatorAction, name="historian")
    occ = await plant_alarms.raise_alarm("CHB-DEF")
    by_link = Context(origin="access", user="tech", channel=Channel.LINK, address="127.0.0.1")
    await plant_alarms.clock.advance(60)
    await plant_alarms.operations.acknowledge(occ, by_link)
    async with HistorianWriter(services.config, Bus(), plant_alarms.clock, engine=plant_db) as writer:
        for message in recorded.drain():
            writer.accept(message)
        await writer.flush()
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        user.find(marker="details-CHB-DEF").click()
        await user.should_see(marker="occurrence-line", retries=50)  # a real query, in a thread
        lines = [e.text for e in user.find(marker="occurrence-line").elements]  # type: ignore[attr-defined]
    assert sorted(line.split("  ", 1)[1] for line in lines) == [
        "Défaut chaudière bois (system)  normal → unacked (activate)",
        "Défaut chaudière bois — tech (link)  unacked → acked (acknowledge)",
        "acquittement — tech (link)  ok",
    ]


async def test_forced_acknowledge_by_a_viewer_is_refused_and_audited(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    occ = await plant_alarms.raise_alarm("CHB-DEF")
    audit = services.bus.subscribe(OperatorAction, name="audit")
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        viewer = UserSession("viewer", Role.VIEWER, "t")
        with user:
            ctx = PageContext(services, viewer, "fr", "127.0.0.1")
            panel = AlarmPanel(ctx)
            row = services.view.sorted_alarms()[0]
            assert await panel.acknowledge(row) is False
            ui.notify("done")
    assert plant_alarms.engine.get(occ).acked is False  # type: ignore[union-attr]
    refused = [a for a in audit.drain() if isinstance(a, OperatorAction) and a.kind is not ActionKind.LOGIN]
    assert [(a.kind, a.result, a.context.user) for a in refused] == [
        (ActionKind.ACKNOWLEDGE, ActionResult.REFUSED, "viewer")
    ]
    assert services.view.sorted_alarms()[0].state is AlarmState.UNACKED


async def test_alarm_rows_are_focusable_and_buttons_name_their_alarm(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    await plant_alarms.raise_alarm("CHB-DEF")
    async with hmi_user() as user:
        await login(user, "tech", path="/alarms")
        row = user.find(marker="alarm-CHB-DEF").elements.pop()
        assert row.props["tabindex"] == 0 or row.props["tabindex"] == "0"
        assert "CHB-DEF" in row.props["aria-label"]
        ack = user.find(marker="ack-CHB-DEF").elements.pop()
        assert ack.props["aria-label"] == "Acquitter l'alarme CHB-DEF"
