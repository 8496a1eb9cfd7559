"""Sign-in and user administration for the HMI's pages, on the access package's services."""

from __future__ import annotations

from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context, Role
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.records import UserInfo
from tests.access.conftest import PASSWORD, Site


def by(user: str) -> Context:
    return Context(origin="hmi", user=user, channel=Channel.HMI, address="127.0.0.1")


async def test_login_resume_logout_are_audited_and_expire(site: Site) -> None:
    auth = HmiAuthenticator(site.services)
    assert await auth.login("dubois", "wrong password!", "127.0.0.1") is None
    session = await auth.login("dubois", PASSWORD, "127.0.0.1")
    assert session is not None
    assert (session.role, session.display_name, session.language) == (Role.ADMIN, "Claire Dubois", "fr")
    assert await auth.resume(session.token) == session
    await auth.logout(session.token)
    assert await auth.resume(session.token) is None
    again = await auth.login("dubois", PASSWORD, "127.0.0.1")
    assert again is not None
    await site.clock.advance(site.cfg.hmi.session_ttl_h * 3600 + 1)
    assert await auth.resume(again.token) is None
    kinds = [(a.kind, a.context.channel) for a in site.actions()]
    assert kinds == [
        (ActionKind.LOGIN_FAILED, Channel.HMI),
        (ActionKind.LOGIN, Channel.HMI),
        (ActionKind.LOGOUT, Channel.HMI),
        (ActionKind.LOGIN, Channel.HMI),
    ]


async def test_disabled_user_loses_the_session(site: Site) -> None:
    auth, admin = HmiAuthenticator(site.services), HmiUserAdmin(site.services)
    session = await auth.login("martin", PASSWORD, "127.0.0.1")
    assert session is not None
    assert (await admin.disable_user("martin", by("dubois"))).ok
    assert await auth.resume(session.token) is None
    assert await auth.login("martin", PASSWORD, "127.0.0.1") is None


async def test_only_an_admin_manages_users(site: Site) -> None:
    admin = HmiUserAdmin(site.services)
    new = UserInfo("lucas", Role.OPERATOR, "Lucas Petit")
    refused = await admin.save_user(new, "a long enough password", by("martin"))
    assert not refused.ok
    created = await admin.save_user(new, "a long enough password", by("dubois"))
    assert created.ok
    promoted = await admin.save_user(UserInfo("lucas", Role.TECHNICIAN, "Lucas Petit"), None, by("dubois"))
    assert promoted.ok
    users = {u.username: u for u in await admin.users()}
    assert users["lucas"].role is Role.TECHNICIAN
    assert not (await admin.save_user(UserInfo("nopass", Role.VIEWER), None, by("dubois"))).ok
    results = [(a.result, a.target) for a in site.actions() if a.kind is ActionKind.USER_CHANGED]
    assert results[0] == (ActionResult.REFUSED, "lucas")
    assert (ActionResult.OK, "lucas") in results


async def test_the_last_admin_cannot_be_disabled(site: Site) -> None:
    admin = HmiUserAdmin(site.services)
    outcome = await admin.disable_user("dubois", by("dubois"))
    assert not outcome.ok
    assert "dernier administrateur" in outcome.message
