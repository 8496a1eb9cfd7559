"""Access control (``hmi.access``) behind the HMI's ``Authenticator`` and ``UserAdmin`` ports.

HMI sessions are opaque random tokens kept in memory with an expiry of
``hmi.session_ttl_h``; a restart logs everybody out, which is the safe side. Every login,
failure and lockout is audited by the access layer itself.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from chaufferie.config.vocabulary import Channel, Context, Role
from chaufferie.hmi.access.services import AccessServices
from chaufferie.hmi.ports import Outcome, UserInfo, UserSession


@dataclass
class _Live:
    username: str
    expires: datetime


class HmiAuth:
    """``Authenticator`` over the access layer's password check."""

    def __init__(self, access: AccessServices) -> None:
        self._access = access
        self._sessions: dict[str, _Live] = {}
        self._ttl = timedelta(hours=access.cfg.hmi.session_ttl_h)

    async def login(self, username: str, password: str, address: str | None) -> UserSession | None:
        context = Context(origin="hmi.login", user=username, channel=Channel.HMI, address=address)
        result = await self._access.authn.check_password(username, password, context)
        if not result.ok or result.user is None:
            return None
        token = secrets.token_urlsafe(32)
        self._sessions[token] = _Live(result.user.username, self._access.clock.now() + self._ttl)
        return self._session(token, result.user.username)

    async def resume(self, token: str) -> UserSession | None:
        live = self._sessions.get(token)
        if live is None:
            return None
        if live.expires <= self._access.clock.now():
            del self._sessions[token]
            return None
        return self._session(token, live.username)

    async def logout(self, token: str) -> None:
        self._sessions.pop(token, None)

    def _session(self, token: str, username: str) -> UserSession | None:
        user = self._access.store.get_user(username)
        if user is None or user.disabled:
            self._sessions.pop(token, None)
            return None
        return UserSession(username, user.role, token, display_name=user.display_name)


class HmiUsers:
    """``UserAdmin`` over the access layer's user service (audited there)."""

    def __init__(self, access: AccessServices) -> None:
        self._users = access.users

    async def users(self) -> list[UserInfo]:
        records = await asyncio.to_thread(self._users.list)
        return [
            UserInfo(r.username, r.role, r.display_name, not r.disabled, r.contact_id) for r in records
        ]

    async def save_user(self, user: UserInfo, password: str | None, context: Context) -> Outcome:
        try:
            existing = {r.username for r in await asyncio.to_thread(self._users.list)}
            if user.username not in existing:
                if not password:
                    return Outcome(False, "mot de passe requis / password required")
                await asyncio.to_thread(
                    self._users.add, user.username, Role(user.role), password, context,
                    display_name=user.display_name, contact_id=user.contact_id,
                )
            elif password:
                await asyncio.to_thread(self._users.set_password, user.username, password, context)
            await asyncio.to_thread(self._users.set_disabled, user.username, not user.enabled, context)
        except (ValueError, KeyError) as exc:
            return Outcome(False, str(exc))
        return Outcome(True)

    async def disable_user(self, username: str, context: Context) -> Outcome:
        try:
            await asyncio.to_thread(self._users.set_disabled, username, True, context)
        except (ValueError, KeyError) as exc:
            return Outcome(False, str(exc))
        return Outcome(True)
