"""The frame: login, header answers (mode, alarms by priority, links, silo), language, roles."""

from __future__ import annotations

from chaufferie.config.vocabulary import (
    ActionKind,
    LinkEvent,
    LinkState,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    PlantMode,
)
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import login
from tests.support.alarms import PlantAlarms


async def test_anonymous_visitor_is_sent_to_login(hmi_user) -> None:
    async with hmi_user() as user:
        await user.open("/alarms")
        await user.should_see(marker="login-submit")


async def test_wrong_password_is_refused_with_a_message(hmi_user, services: HmiServices) -> None:
    audit = services.bus.subscribe(OperatorAction, name="audit")
    async with hmi_user() as user:
        await user.open("/login")
        user.find(marker="username").type("tech")
        user.find(marker="password").type("nope")
        user.find(marker="login-submit").click()
        await user.should_see("Identifiant ou mot de passe incorrect", retries=50)  # argon2 in a thread
    failed = [a for a in audit.drain() if isinstance(a, OperatorAction)]
    assert [(a.kind, a.context.user) for a in failed] == [(ActionKind.LOGIN_FAILED, "tech")]


async def test_header_shows_mode_unacked_alarms_by_priority_links_and_silo(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    services.bus.publish(
        PlantEvent(
            PlantEventKind.MODE_CHANGED,
            services.clock.now(),
            mode=PlantMode.OIL_REPLACEMENT,
            previous_mode=PlantMode.WOOD,
        )
    )
    services.bus.publish(LinkEvent("boiler", LinkState.DOWN, LinkState.UP, "timeout", services.clock.now()))
    await plant_alarms.raise_alarm("CHB-DEF")
    await plant_alarms.raise_alarm("SIL-BAS")
    async with hmi_user() as user:
        await login(user, "viewer")
        await user.should_see("Mode : relève fioul")
        await user.should_see("◆ P1 : 1")
        await user.should_see("▲ P2 : 1")
        await user.should_see("■ P3 : 0")
        await user.should_see("Liaisons : boiler PERDUE")
        await user.should_see(marker="silo-days")


async def test_header_updates_live_without_reload(
    hmi_user, services: HmiServices, plant_alarms: PlantAlarms
) -> None:
    async with hmi_user() as user:
        await login(user, "viewer")
        await user.should_see("◆ P1 : 0")
        await plant_alarms.raise_alarm("PRS-BAS")
        await user.should_see("◆ P1 : 1", retries=30)


async def test_language_switch_shows_english_words(hmi_user, services: HmiServices) -> None:
    services.bus.publish(
        PlantEvent(PlantEventKind.MODE_CHANGED, services.clock.now(), mode=PlantMode.WOOD_WITH_TOPUP)
    )
    async with hmi_user() as user:
        await login(user, "viewer")
        await user.should_see("Mode : bois + appoint fioul")
        user.find(marker="lang").click()
        await user.open("/")
        await user.should_see("Mode: wood + oil top-up")
        await user.should_see("Synoptic")


async def test_viewer_navigation_offers_no_control_settings_or_commissioning(hmi_user) -> None:
    async with hmi_user() as user:
        await login(user, "viewer")
        await user.should_see(marker="nav-alarms")
        await user.should_not_see(marker="nav-control")
        await user.should_not_see(marker="nav-settings")
        await user.should_not_see(marker="nav-commissioning")


async def test_technician_navigation_offers_control(hmi_user) -> None:
    async with hmi_user() as user:
        await login(user, "tech")
        await user.should_see(marker="nav-control")
        await user.should_see(marker="nav-commissioning")


async def test_logout_ends_the_session(hmi_user, services: HmiServices) -> None:
    audit = services.bus.subscribe(OperatorAction, name="audit")
    async with hmi_user() as user:
        await login(user, "viewer")
        [signed_in] = [
            a for a in audit.drain() if isinstance(a, OperatorAction) and a.kind is ActionKind.LOGIN
        ]
        user.find(marker="logout").click()
        await user.should_see(marker="login-submit")
        await user.open("/")
        await user.should_see(marker="login-submit")  # the session is gone, not only the page
    kinds = [(a.kind, a.context.user) for a in audit.drain() if isinstance(a, OperatorAction)]
    assert kinds == [(ActionKind.LOGOUT, "viewer")]
    assert signed_in.context.user == "viewer"
