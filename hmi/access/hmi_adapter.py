"""Sign-in and user administration for the HMI's pages, on this package's services.

* :class:`HmiAuthenticator` — ``login`` (password, lockout per user and address, audited),
  ``resume`` (a server-side session token, expiring after ``cfg.hmi.session_ttl_h``, dropped
  when the user is disabled) and ``logout`` (audited).
* :class:`HmiUserAdmin` — list, create or change, and disable users; only for an enabled
  admin (checked again here, whatever the page did), never disabling the last admin.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context, Role
from chaufferie.historian.access_store import UserExistsError, UserRecord
from chaufferie.hmi.access import texts
from chaufferie.hmi.access.passwords import WeakSecretError
from chaufferie.hmi.access.services import AccessServices
from chaufferie.hmi.records import Outcome, UserInfo, UserSession


@dataclass(frozen=True, slots=True)
class _Session:
    username: str
    expires: datetime


class HmiAuthenticator:
    """Login, session resume and logout over the access services (audited there)."""

    def __init__(self, services: AccessServices) -> None:
        self.s = services
        self._sessions: dict[str, _Session] = {}

    async def login(self, username: str, password: str, address: str | None) -> UserSession | None:
        ctx = Context(origin="hmi.login", user=username, channel=Channel.HMI, address=address)
        result = await self.s.authn.check_password(username.strip(), password, ctx)
        if not result.ok or result.user is None:
            return None
        token = secrets.token_urlsafe(32)
        ttl = timedelta(hours=self.s.cfg.hmi.session_ttl_h)
        self._sessions[token] = _Session(result.user.username, self.s.clock.now() + ttl)
        return self._session(result.user, token)

    async def resume(self, token: str) -> UserSession | None:
        session = self._sessions.get(token)
        if session is None:
            return None
        user = await asyncio.to_thread(self.s.store.get_user, session.username)
        if session.expires <= self.s.clock.now() or user is None or user.disabled:
            self._sessions.pop(token, None)
            return None
        return self._session(user, token)

    async def logout(self, token: str) -> None:
        session = self._sessions.pop(token, None)
        if session is not None:
            ctx = Context(origin="hmi.logout", user=session.username, channel=Channel.HMI)
            self.s.audit.record(ActionKind.LOGOUT, ctx, session.username)

    def _session(self, user: UserRecord, token: str) -> UserSession:
        language = None
        if user.contact_id is not None:
            language = next((c.language.value for c in self.s.cfg.contacts if c.id == user.contact_id), None)
        return UserSession(user.username, user.role, token, user.display_name, language)


def _outcome(ok: bool, key: str) -> Outcome:
    return Outcome(ok, texts.both(key))


class HmiUserAdmin:
    """List, create or change, and disable users over the access services (audited there)."""

    def __init__(self, services: AccessServices) -> None:
        self.s = services

    async def users(self) -> list[UserInfo]:
        records = await asyncio.to_thread(self.s.store.list_users)
        return [UserInfo(u.username, u.role, u.display_name, not u.disabled, u.contact_id) for u in records]

    async def save_user(self, user: UserInfo, password: str | None, context: Context) -> Outcome:
        refusal = await self._refusal(context, user.username)
        if refusal is not None:
            return refusal
        try:
            await asyncio.to_thread(self._save, user, password, context)
        except (UserExistsError, WeakSecretError, ValueError) as exc:
            self._refused(context, user.username, str(exc))
            return Outcome(False, str(exc))
        return _outcome(True, "user.saved")

    async def disable_user(self, username: str, context: Context) -> Outcome:
        refusal = await self._refusal(context, username)
        if refusal is not None:
            return refusal
        target = await asyncio.to_thread(self.s.store.get_user, username)
        if target is None:
            return _outcome(False, "user.unknown")
        if target.role is Role.ADMIN and await asyncio.to_thread(self.s.store.count_admins) <= 1:
            self._refused(context, username, "last_admin")
            return _outcome(False, "user.last_admin")
        await asyncio.to_thread(self.s.users.set_disabled, username, True, context)
        return _outcome(True, "user.disabled")

    def _save(self, info: UserInfo, password: str | None, context: Context) -> None:
        users = self.s.users
        existing = self.s.store.get_user(info.username)
        if existing is None:
            if not password:
                raise ValueError(texts.both("user.password_needed"))
            users.add(
                info.username,
                info.role,
                password,
                context,
                display_name=info.display_name,
                contact_id=info.contact_id,
            )
        else:
            users.update(
                info.username,
                context,
                role=info.role,
                display_name=info.display_name or None,
                contact_id=info.contact_id,
            )
            if password:
                users.set_password(info.username, password, context)
        if existing is not None and existing.disabled == info.enabled:
            users.set_disabled(info.username, not info.enabled, context)

    async def _refusal(self, context: Context, target: str) -> Outcome | None:
        actor = None if context.user is None else await asyncio.to_thread(self.s.store.get_user, context.user)
        if actor is None or actor.disabled or actor.role is not Role.ADMIN:
            self._refused(context, target, "not_admin")
            return _outcome(False, "user.not_admin")
        return None

    def _refused(self, context: Context, target: str, reason: str) -> None:
        self.s.audit.record(ActionKind.USER_CHANGED, context, target, ActionResult.REFUSED, reason=reason)
