"""Checking a password or a PIN, with rate limiting and lockout per user and per address.

After ``cfg.hmi.login_max_failures`` failures a user is locked for ``login_lockout_min``
minutes, whatever address the attempts came from; an address that fails as many times
within that window is locked too, whatever users it tried (attempts on a locked or
disabled account count as failures of the address). A locked user or address is refused
even with the right secret. Every attempt is audited (``LOGIN`` or ``LOGIN_FAILED`` with
the real reason) and checks a hash in a worker thread, refused or not, so that an unknown,
a locked and a disabled account take the same time; with a username and password they also
get the same answer (see :func:`_public`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from chaufferie.config.clock import Clock
from chaufferie.config.settings import HmiSettings
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context
from chaufferie.historian.access_store import AddressState, UserRecord, with_updates
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.passwords import verify
from chaufferie.hmi.access.ports import UserStore


class AuthRefusal(StrEnum):
    WRONG = "wrong_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class AuthResult:
    user: UserRecord | None
    refusal: AuthRefusal | None = None
    locked_until: datetime | None = None
    by_address: bool = False
    """The lock is the address's (whatever account it tries), not the account's."""

    @property
    def ok(self) -> bool:
        return self.refusal is None and self.user is not None


class Authenticator:
    """Password and PIN checks against a :class:`UserStore`."""

    def __init__(self, store: UserStore, clock: Clock, settings: HmiSettings, audit: Audit) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._audit = audit
        self._lock = asyncio.Lock()

    @property
    def _lockout(self) -> timedelta:
        return timedelta(minutes=self._settings.login_lockout_min)

    async def check_password(self, username: str, password: str, context: Context) -> AuthResult:
        user = await asyncio.to_thread(self._store.get_user, username)
        return await self._check(user, username, password, "password", context)

    async def check_pin(self, user: UserRecord | None, pin: str, context: Context) -> AuthResult:
        """Check the PIN of ``user`` (None: the link's technician has no account)."""
        name = user.username if user is not None else "?"
        return await self._check(user, name, pin, "pin", context)

    async def _check(
        self, user: UserRecord | None, name: str, secret: str, method: str, context: Context
    ) -> AuthResult:
        ctx, address = replace(context, user=name), context.address or "?"
        async with self._lock:  # one attempt at a time: counters stay exact
            refused = await asyncio.to_thread(self._precheck, user, address)
            stored = None if user is None else (user.pin_hash if method == "pin" else user.password_hash)
            # the hash is checked whatever the outcome: a refused account costs the same time
            good = await asyncio.to_thread(verify, stored, secret)
            if refused is None and good and user is not None:
                await asyncio.to_thread(self._succeeded, user)
                self._audit.record(ActionKind.LOGIN, ctx, name, method=method)
                return AuthResult(user)
            if refused is None:
                result = await asyncio.to_thread(self._failed, user, address)
            elif refused.by_address:
                result = refused
            else:  # an attempt on a locked or disabled account is a failure of the address too
                until = await asyncio.to_thread(self._count_address_failure, address, self._clock.now())
                result = refused if until is None else AuthResult(user, AuthRefusal.LOCKED, until, True)
        self._failure(ctx, name, result, method)
        return _public(result, method)

    def _failure(self, ctx: Context, name: str, result: AuthResult, method: str) -> None:
        reason = result.refusal.value if result.refusal else ""
        refused = ActionResult.REFUSED
        self._audit.record(ActionKind.LOGIN_FAILED, ctx, name, refused, reason=reason, method=method)

    def _precheck(self, user: UserRecord | None, address: str) -> AuthResult | None:
        now = self._clock.now()
        place = self._store.address_state(address)
        if place.locked_until is not None and place.locked_until > now:
            return AuthResult(user, AuthRefusal.LOCKED, place.locked_until, by_address=True)
        if user is None:
            return None
        if user.disabled:
            return AuthResult(user, AuthRefusal.DISABLED)
        if user.locked_until is not None and user.locked_until > now:
            return AuthResult(user, AuthRefusal.LOCKED, user.locked_until)
        return None

    def _succeeded(self, user: UserRecord) -> None:
        if user.failed_count or user.locked_until is not None:
            fresh = self._store.get_user(user.username) or user
            self._store.save_user(with_updates(fresh, self._clock.now(), failed_count=0, locked_until=None))

    def _failed(self, user: UserRecord | None, address: str) -> AuthResult:
        now = self._clock.now()
        limit = self._settings.login_max_failures
        place_locked = self._count_address_failure(address, now)
        by_address = place_locked is not None
        if user is None:
            refusal = AuthRefusal.LOCKED if by_address else AuthRefusal.WRONG
            return AuthResult(None, refusal, place_locked, by_address)
        fresh = self._store.get_user(user.username) or user
        count = fresh.failed_count + 1
        until = now + self._lockout if count >= limit else None
        self._store.save_user(
            with_updates(fresh, now, failed_count=0 if until else count, locked_until=until)
        )
        locked = until or place_locked
        return AuthResult(user, AuthRefusal.LOCKED if locked else AuthRefusal.WRONG, locked, by_address)

    def _count_address_failure(self, address: str, now: datetime) -> datetime | None:
        limit = self._settings.login_max_failures
        state = self._store.address_state(address)
        window_over = state.first_failure_at is None or now - state.first_failure_at > self._lockout
        first = now if window_over else state.first_failure_at
        count = 1 if window_over else state.failed_count + 1
        until = now + self._lockout if count >= limit else None
        self._store.save_address_state(
            AddressState(address, 0 if until else count, None if until else first, until)
        )
        return until


def _public(result: AuthResult, method: str) -> AuthResult:
    """What the caller may tell the client. With a typed username (``password``), a locked or
    disabled account answers exactly like a wrong password or an unknown name, so that
    nobody learns which accounts exist; a locked address still says locked (that tells
    nothing about accounts). With a PIN, the account is the one the signed link names: it
    is told as it is. The audit always records the real reason."""
    concealed = result.refusal is AuthRefusal.DISABLED or (
        result.refusal is AuthRefusal.LOCKED and not result.by_address
    )
    return AuthResult(None, AuthRefusal.WRONG) if method == "password" and concealed else result
