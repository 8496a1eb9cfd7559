"""The HMI re-reads the user at each action (NiceGUI's simulated user, the real authenticator).

The pages run over :class:`HmiAuthenticator` on the access services of the ``site`` fixture
(users in SQLite); the user is changed in that store while the page is open, as
``chaufferie user`` or an admin would, and the next click is judged on the change. The real
browser test of the reported case is in ``test_hmi_browser.py``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nicegui import app
from nicegui.storage import Storage
from nicegui.testing.user import User

from chaufferie.config.vocabulary import ActionKind, ActionResult, OperatorAction, Role
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.services import HmiServices
from tests.access.conftest import PASSWORD, SETUP, RecordingCommands, Site
from tests.hmi.conftest import simulated

WAIT = 100  # tries 0.1 s apart: argon2 in a worker thread on a busy machine


@pytest.fixture(scope="module", autouse=True)
def _nicegui_storage() -> None:
    Storage.path = Path(tempfile.mkdtemp(prefix="access-hmi-storage-")).resolve()
    app.storage = Storage()


@pytest.fixture
async def hmi(site: Site) -> AsyncIterator[tuple[User, RecordingCommands]]:
    commands = RecordingCommands(site.clock)
    services = HmiServices(
        source=site.cfg,
        bus=site.bus,
        clock=site.clock,
        auth=HmiAuthenticator(site.services),
        commands=commands,
        users=HmiUserAdmin(site.services),
    )
    async with simulated(services) as user:
        yield user, commands


def refusals(site: Site) -> list[tuple[ActionKind, str | None, str, object]]:
    actions = [a for a in site.actions() if isinstance(a, OperatorAction)]
    return [
        (a.kind, a.context.user, a.target, a.details.get("why"))
        for a in actions
        if a.result is ActionResult.REFUSED
    ]


async def login(user: User, username: str, path: str) -> None:
    await user.open(f"/login?next={path}")
    user.find(marker="username").type(username)
    user.find(marker="password").type(PASSWORD)
    user.find(marker="login-submit").click()
    await user.should_see(marker="mode", retries=WAIT)


async def send_duty_2(user: User) -> None:
    user.find(marker="duty-2").click()
    user.find(marker="confirm-ok").click()


async def test_a_technician_demoted_while_on_the_control_page_is_refused(
    site: Site, hmi: tuple[User, RecordingCommands]
) -> None:
    user, commands = hmi
    await login(user, "martin", "/control")
    site.services.users.update("martin", SETUP, role=Role.OPERATOR)
    await send_duty_2(user)
    await user.should_see("Action refusée", retries=WAIT)
    assert commands.commands == []
    assert refusals(site) == [
        (ActionKind.COMMAND, "martin", "pumps.duty", "role"),
        (ActionKind.LINK_REFUSED, "martin", "/control", None),  # the page redrawn: no longer his
    ]


async def test_a_disabled_technician_is_refused_and_sent_to_the_login(
    site: Site, hmi: tuple[User, RecordingCommands]
) -> None:
    user, commands = hmi
    await login(user, "martin", "/control")
    await send_duty_2(user)  # allowed while enabled
    for _ in range(WAIT):
        if commands.commands:
            break
        await asyncio.sleep(0.1)
    site.services.users.set_disabled("martin", True, SETUP)
    await send_duty_2(user)
    await user.should_see("Connexion", retries=WAIT)
    assert [(c.point, c.value, c.context.user) for c in commands.commands] == [("pumps.duty", 2, "martin")]
    assert refusals(site) == [(ActionKind.COMMAND, "martin", "pumps.duty", "session_ended")]


async def test_an_admin_disabled_elsewhere_can_no_longer_change_users(
    site: Site, hmi: tuple[User, RecordingCommands]
) -> None:
    user, _ = hmi
    await login(user, "dubois", "/settings")
    site.services.users.set_disabled("dubois", True, SETUP)
    user.find(marker="disable-agent").click()
    await user.should_see("Connexion", retries=WAIT)
    agent = site.store.get_user("agent")
    assert agent is not None
    assert not agent.disabled
    assert refusals(site) == [(ActionKind.USER_CHANGED, "dubois", "agent", "session_ended")]
