"""The alarm page: list with priority colour+shape+text, actions by role, refusal when forced."""

from __future__ import annotations

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmState, OperatorAction, Role
from chaufferie.hmi.pages.alarms import AlarmPanel
from chaufferie.hmi.pages.frame import PageContext
from chaufferie.hmi.ports import UserSession
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import login
from tests.hmi.fakes import FakeAlarms


def fake(services: HmiServices) -> FakeAlarms:
    assert isinstance(services.alarms, FakeAlarms)
    return services.alarms


async def test_active_alarm_shows_priority_shape_text_label_and_state(
    hmi_user, services: HmiServices
) -> None:
    fake(services).raise_alarm("CHB-DEF", 1, value=6)
    fake(services).raise_alarm("CEN-PLN", 3)
    fake(services).raise_alarm("PRS-HT", 2, value=3.62)
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        await user.should_see("◆ P1 urgente")
        await user.should_see("■ P3 basse")
        await user.should_see("CHB-DEF Défaut chaudière bois")
        await user.should_see("active non acquittée")
        await user.should_see("3,6 bar")


async def test_viewer_is_offered_no_alarm_action(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("CHB-DEF", 1)
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        await user.should_see(marker="alarm-CHB-DEF")
        for action in ("ack", "shelve", "comment", "reset"):
            await user.should_not_see(marker=f"{action}-CHB-DEF")
        await user.should_see(marker="details-CHB-DEF")


async def test_operator_may_shelve_and_comment_but_not_acknowledge(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("SIL-BAS", 2)
    async with hmi_user() as user:
        await login(user, "operator", path="/alarms")
        await user.should_see(marker="shelve-SIL-BAS")
        await user.should_see(marker="comment-SIL-BAS")
        await user.should_not_see(marker="ack-SIL-BAS")


async def test_technician_acknowledges_and_the_list_shows_it_acknowledged(
    hmi_user, services: HmiServices
) -> None:
    occ = fake(services).raise_alarm("CHB-DEF", 1)
    async with hmi_user() as user:
        await login(user, "tech", path="/alarms")
        user.find(marker="ack-CHB-DEF").click()
        await user.should_see("Alarme CHB-DEF acquittée")
        await user.should_see(marker="state-CHB-DEF", content="active acquittée", retries=30)
        await user.should_not_see(marker="ack-CHB-DEF")
        await user.should_see("acquittée par tech (IHM)")
        name, occurrence, context, _ = fake(services).calls[0]
        assert (name, occurrence, context.user, context.channel.value) == ("acknowledge", occ, "tech", "hmi")


async def test_shelving_needs_a_reason_and_passes_the_duration(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("SIL-BAS", 2)
    async with hmi_user() as user:
        await login(user, "operator", path="/alarms")
        user.find(marker="shelve-SIL-BAS").click()
        user.find(marker="shelve-confirm").click()
        await user.should_see("Le motif est obligatoire")
        assert fake(services).calls == []
        user.find(marker="shelve-reason").type("livraison prévue demain")
        user.find(marker="shelve-hours").clear().type("4")
        user.find(marker="shelve-confirm").click()
        await user.should_see(marker="state-SIL-BAS", content="en attente", retries=30)
        name, _, _, details = fake(services).calls[0]
        assert name == "shelve"
        assert details == {"reason": "livraison prévue demain", "duration_s": 4 * 3600}


async def test_comment_is_passed_with_its_author(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("VIS-INV", 3)
    async with hmi_user() as user:
        await login(user, "operator", path="/alarms")
        user.find(marker="comment-VIS-INV").click()
        user.find(marker="comment-text").type("vis graissée")
        user.find(marker="comment-confirm").click()
        await user.should_see("Fait")
        name, _, context, details = fake(services).calls[0]
        assert (name, context.user, details) == ("comment", "operator", {"text": "vis graissée"})


async def test_reset_is_offered_only_for_a_resettable_alarm(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("CHB-DEF", 1)  # resettable
    fake(services).raise_alarm("CHB-STB", 1)  # latched, reset on site only
    async with hmi_user() as user:
        await login(user, "tech", path="/alarms")
        await user.should_see(marker="reset-CHB-DEF")
        await user.should_not_see(marker="reset-CHB-STB")
        user.find(marker="reset-CHB-DEF").click()
        await user.should_not_see(marker="alarm-CHB-DEF", retries=30)


async def test_occurrence_history_lists_transitions_and_acknowledgements(
    hmi_user, services: HmiServices
) -> None:
    fake(services).raise_alarm("CHB-DEF", 1)
    async with hmi_user() as user:
        await login(user, "viewer", path="/alarms")
        user.find(marker="details-CHB-DEF").click()
        await user.should_see("acquittement — tech (link)  CHB-DEF")


async def test_forced_acknowledge_by_a_viewer_is_refused_and_audited(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("CHB-DEF", 1)
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
    assert fake(services).calls == []
    refused = [a for a in audit.drain() if isinstance(a, OperatorAction)]
    assert [(a.kind, a.result, a.context.user) for a in refused] == [
        (ActionKind.ACKNOWLEDGE, ActionResult.REFUSED, "viewer")
    ]
    assert services.view.sorted_alarms()[0].state is AlarmState.UNACKED


async def test_alarm_rows_are_focusable_and_buttons_name_their_alarm(hmi_user, services: HmiServices) -> None:
    fake(services).raise_alarm("CHB-DEF", 1)
    async with hmi_user() as user:
        await login(user, "tech", path="/alarms")
        row = user.find(marker="alarm-CHB-DEF").elements.pop()
        assert row.props["tabindex"] == 0 or row.props["tabindex"] == "0"
        assert "CHB-DEF" in row.props["aria-label"]
        ack = user.find(marker="ack-CHB-DEF").elements.pop()
        assert ack.props["aria-label"] == "Acquitter l'alarme CHB-DEF"
