"""Remote control, settings and commissioning: technician/admin only, confirmed, bounded, audited."""

from __future__ import annotations

import asyncio

from chaufferie.config.bus import Subscription
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    CommandResult,
    CommandStatus,
    ManualModeRequest,
    OperatorAction,
    PlantMode,
    Role,
)
from chaufferie.hmi.access import AccessServices
from chaufferie.hmi.access.passwords import verify
from chaufferie.hmi.pages.control import CommandPanel, check_bounds
from chaufferie.hmi.pages.frame import PageContext
from chaufferie.hmi.records import UserSession
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import Plc, login

HASHING = 100
"""Retries (0.1 s each) while a password is hashed (argon2, on a thread: seconds on a loaded machine)."""


def results(services: HmiServices) -> Subscription:
    """What the bridge answers from now on (every command it executed or refused)."""
    return services.bus.subscribe(CommandResult, name="results")


def sent(sub: Subscription) -> list[CommandResult]:
    return [r for r in sub.drain() if isinstance(r, CommandResult)]


def actions(sub) -> list[OperatorAction]:
    """What was audited, the sign-in aside (the real authenticator audits it)."""
    return [m for m in sub.drain() if isinstance(m, OperatorAction) and m.kind is not ActionKind.LOGIN]


async def test_viewer_and_operator_are_refused_the_control_page(hmi_user, services: HmiServices) -> None:
    for who in ("viewer", "operator"):
        async with hmi_user() as user:
            await login(user, who, path="/control")
            await user.should_see(marker="refused")
            await user.should_not_see(marker="wood-enable")


async def test_setpoint_is_sent_after_confirmation_and_read_back(
    hmi_user, services: HmiServices, plc: Plc
) -> None:
    audit = services.bus.subscribe(OperatorAction, name="audit")
    answered = results(services)
    async with hmi_user() as user:
        await login(user, "tech", path="/control")
        user.find(marker="setpoint-input").clear().type("78.5")
        user.find(marker="setpoint-send").click()
        await user.should_see("Consigne ballon tampon (°C) → 78.5 °C")
        assert sent(answered) == []  # nothing before confirmation
        user.find(marker="confirm-ok").click()
        await user.should_see("Commande confirmée par relecture (78.5)", retries=50)
    [result] = sent(answered)
    assert (result.point, result.value, result.context.user) == ("wood.setpoint", 78.5, "tech")
    assert plc.sim.values()["wood.setpoint"] == 78.5  # in the PLC
    audited = [a for a in actions(audit) if a.kind is ActionKind.COMMAND]
    assert len(audited) == 1, audited  # the executor's record only: the page does not audit it again
    assert audited[0].details["readback"] == 78.5
    assert audited[0].result is ActionResult.OK
    assert audited[0].context.user == "tech"


async def test_cancel_sends_nothing(hmi_user, services: HmiServices, plc: Plc) -> None:
    answered = results(services)
    async with hmi_user() as user:
        await login(user, "tech", path="/control")
        user.find(marker="wood-disable").click()
        user.find(marker="confirm-cancel").click()
        await user.should_see(marker="wood-disable")
    assert sent(answered) == []
    assert plc.sim.values()["wood.enable"] is True


async def test_setpoint_outside_the_cascade_bounds_is_refused(
    hmi_user, services: HmiServices, plc: Plc
) -> None:
    answered = results(services)
    async with hmi_user() as user:
        await login(user, "tech", path="/control")
        user.find(marker="setpoint-input").clear().type("95")
        user.find(marker="setpoint-send").click()
        user.find(marker="confirm-ok").click()
        await user.should_see("Hors limites [62.0 ; 85.0]")
    assert sent(answered) == []


def test_bounds_come_from_the_point_and_the_cascade(services: HmiServices) -> None:
    cfg = services.config
    assert check_bounds(cfg, "wood.setpoint", 70.0) is None
    assert check_bounds(cfg, "wood.setpoint", 60.0) == (62.0, 85.0)
    assert check_bounds(cfg, "pumps.duty", 3) == (1.0, 2.0)
    assert check_bounds(cfg, "buffer.temp_top", 1.0) == (0.0, 0.0)  # not writable
    assert check_bounds(cfg, "wood.enable", True) is None


async def test_duty_pump_and_reverse_test_and_fault_reset_are_commands(
    hmi_user, services: HmiServices, plc: Plc
) -> None:
    answered = results(services)
    done: list[CommandResult] = []
    async with hmi_user() as user:
        await login(user, "tech", path="/control")
        for i, mark in enumerate(("duty-2", "screw-test", "fault-reset")):
            user.find(marker=mark).click()
            user.find(marker="confirm-ok").click()
            for _ in range(100):
                done += sent(answered)
                if len(done) > i:
                    break
                await asyncio.sleep(0.05)
    assert [(r.point, r.value, r.status) for r in done] == [
        ("pumps.duty", 2, CommandStatus.CONFIRMED),
        ("screw.reverse_test", True, CommandStatus.CONFIRMED),
        ("wood.fault_reset", True, CommandStatus.CONFIRMED),
    ]
    assert plc.sim.values()["pumps.duty"] == 2  # the standby pump is duty in the PLC


async def test_manual_mode_is_a_request_to_the_supervisor_not_an_audit_record(
    hmi_user, services: HmiServices
) -> None:
    """The page asks; the supervisor, which executes the request, writes its one audit record."""
    audit = services.bus.subscribe(OperatorAction, name="audit")
    requests = services.bus.subscribe(ManualModeRequest, name="requests")
    async with hmi_user() as user:
        await login(user, "tech", path="/control")
        user.find(marker="manual-force").click()
        user.find(marker="confirm-ok").click()
        await user.should_see("Fait")
    [request] = requests.drain()
    assert isinstance(request, ManualModeRequest)
    assert (request.mode, request.role, request.context.user) == (
        PlantMode.OIL_REPLACEMENT,
        Role.TECHNICIAN,
        "tech",
    )
    assert [a for a in actions(audit) if a.kind is ActionKind.MANUAL_MODE] == []


async def test_forced_command_by_an_operator_is_refused_and_audited(
    hmi_user, services: HmiServices, plc: Plc
) -> None:
    audit = services.bus.subscribe(OperatorAction, name="audit")
    answered = results(services)
    async with hmi_user() as user:
        await login(user, "operator")
        with user:
            panel = CommandPanel(
                PageContext(services, UserSession("operator", Role.OPERATOR, "x"), "fr", None)
            )
            assert await panel.send("wood.enable", False) is None
            assert await panel.manual_mode("release") is False
    assert sent(answered) == []
    refused = [(a.kind, a.result) for a in actions(audit)]
    assert refused == [
        (ActionKind.COMMAND, ActionResult.REFUSED),
        (ActionKind.MANUAL_MODE, ActionResult.REFUSED),
    ]


async def test_cascade_setting_is_validated_applied_and_audited(hmi_user, services: HmiServices) -> None:
    audit = services.bus.subscribe(OperatorAction, name="audit")
    async with hmi_user() as user:
        await login(user, "tech", path="/settings")
        await user.should_not_see(marker="rota-cycle")  # admin only
        user.find(marker="set-topup_drop_k").clear().type("3")
        user.find(marker="cascade-save").click()
        await user.should_see("Réglage appliqué")
        user.find(marker="set-topup_modulation_pct").clear().type("150")
        user.find(marker="cascade-save").click()
        await user.should_see(
            "Valeur invalide : topup_modulation_pct: Input should be less than or equal to 100"
        )
    assert services.config.cascade.topup_drop_k == 3.0  # in force
    changes = [a for a in actions(audit) if a.kind is ActionKind.SETTING_CHANGED]
    assert [a.result for a in changes] == [ActionResult.OK, ActionResult.REFUSED]
    assert changes[0].details["values"]["topup_drop_k"] == 3.0


async def test_heating_curve_change_is_announced(hmi_user, services: HmiServices) -> None:
    async with hmi_user() as user:
        await login(user, "tech", path="/settings")
        user.find(marker="curve--7").clear().type("82")
        user.find(marker="curve-save").click()
        await user.should_see("Réglage appliqué")
    curve = services.config.cascade.heating_curve  # in force
    assert [(p.outdoor_c, p.setpoint_c) for p in curve] == [(-7.0, 82.0), (15.0, 65.0)]


async def test_admin_changes_rota_contacts_and_users(
    hmi_user, services: HmiServices, access: AccessServices
) -> None:
    async with hmi_user() as user:
        await login(user, "admin", path="/settings")
        user.find(marker="rota-cycle").elements.pop().set_value(["tech-bernard", "tech-martin"])
        user.find(marker="rota-save").click()
        await user.should_see("Réglage appliqué")
        user.find(marker="phone-tech-martin").clear().type("0612")
        user.find(marker="contact-save-tech-martin").click()
        await user.should_see("Valeur invalide : phone: String should match pattern")
        user.find(marker="new-username").type("agent2")
        user.find(marker="new-password").type("long enough secret")
        user.find(marker="user-save").click()
        await user.should_see("agent2 · lecture", retries=HASHING)  # argon2 on a thread: slow when loaded
        user.find(marker="disable-agent2").click()
        await user.should_see("agent2 · lecture (—)", retries=HASHING)
    assert services.config.rota is not None
    assert services.config.rota.cycle == ("tech-bernard", "tech-martin")  # in force
    [agent] = [u for u in access.store.list_users() if u.username == "agent2"]
    assert agent.disabled
    assert verify(agent.password_hash, "long enough secret")


async def test_commissioning_starts_a_scenario(hmi_user, services: HmiServices, plc: Plc) -> None:
    async with hmi_user() as user:
        await login(user, "tech", path="/commissioning")
        await user.should_see(marker="points-table")
        user.find(marker="scenario-wood-fault").click()
        await user.should_see("Fait", retries=50)
    assert plc.sim.plant.scenario_name == "wood-fault"  # the simulator took it


async def test_commissioning_without_simulator_says_so(hmi_user, services: HmiServices) -> None:
    services.scenarios = None
    async with hmi_user() as user:
        await login(user, "tech", path="/commissioning")
        await user.should_see("Simulateur non raccordé")
