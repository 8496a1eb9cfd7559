"""Users and their roles: create, change password or PIN, disable, bootstrap the first admin.

There is no default account. The first admin comes from ``chaufferie user add --role admin``
or, on first start only (no enabled admin yet), from the environment variables
``CHAUFFERIE_ADMIN_USER`` and ``CHAUFFERIE_ADMIN_PASSWORD`` (optionally
``CHAUFFERIE_ADMIN_PIN``). Every change is audited as ``USER_CHANGED``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping

from chaufferie.config.clock import Clock
from chaufferie.config.vocabulary import ActionKind, ActionResult, Context, Role
from chaufferie.historian.access_store import UnknownUserError, UserRecord, with_updates
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.passwords import check_password, check_pin, check_username, hash_secret
from chaufferie.hmi.access.ports import UserStore

log = logging.getLogger(__name__)

ADMIN_USER_ENV = "CHAUFFERIE_ADMIN_USER"
ADMIN_PASSWORD_ENV = "CHAUFFERIE_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ADMIN_PIN_ENV = "CHAUFFERIE_ADMIN_PIN"


class UserService:
    """User administration on a :class:`UserStore`; audited when an :class:`Audit` is given."""

    def __init__(
        self,
        store: UserStore,
        clock: Clock,
        audit: Audit | None = None,
        contact_ids: Callable[[], frozenset[str]] | None = None,
    ) -> None:
        """``contact_ids`` gives the contacts a user may be bound to, asked at each binding."""
        self._store = store
        self._clock = clock
        self._audit = audit
        self._contacts = contact_ids

    def _check_contact(self, contact_id: str | None) -> None:
        if contact_id is None or self._contacts is None:
            return
        known = self._contacts()
        if contact_id not in known:
            raise ValueError(f"unknown contact {contact_id!r} (known: {', '.join(sorted(known))})")

    def add(
        self,
        username: str,
        role: Role,
        password: str,
        context: Context,
        *,
        display_name: str = "",
        pin: str | None = None,
        contact_id: str | None = None,
    ) -> UserRecord:
        """Create a user (raises ``ValueError`` on bad input, ``UserExistsError`` if taken)."""
        check_username(username)
        check_password(password)
        if pin is not None:
            check_pin(pin)
        self._check_contact(contact_id)
        now = self._clock.now()
        user = UserRecord(
            username=username,
            display_name=display_name or username,
            role=role,
            password_hash=hash_secret(password),
            pin_hash=hash_secret(pin) if pin is not None else None,
            contact_id=contact_id,
            created_at=now,
            updated_at=now,
        )
        self._store.add_user(user)
        self._changed(context, username, change="add", role=role.value, contact=contact_id or "")
        return user

    def update(
        self,
        username: str,
        context: Context,
        *,
        role: Role | None = None,
        display_name: str | None = None,
        contact_id: str | None = None,
    ) -> UserRecord:
        """Change role, display name or contact binding (``None`` leaves a field as it is)."""
        user = self._get(username)
        self._check_contact(contact_id)
        changes = {
            "role": role or user.role,
            "display_name": display_name or user.display_name,
            "contact_id": contact_id if contact_id is not None else user.contact_id,
        }
        updated = with_updates(user, self._clock.now(), **changes)
        self._save(updated)
        contact = updated.contact_id or ""
        self._changed(context, username, change="update", role=updated.role.value, contact=contact)
        return updated

    def set_password(self, username: str, password: str, context: Context) -> None:
        user = self._get(username)
        check_password(password)
        self._save(with_updates(user, self._clock.now(), password_hash=hash_secret(password)))
        self._changed(context, username, change="password")

    def set_pin(self, username: str, pin: str, context: Context) -> None:
        user = self._get(username)
        check_pin(pin)
        self._save(with_updates(user, self._clock.now(), pin_hash=hash_secret(pin)))
        self._changed(context, username, change="pin")

    def set_disabled(self, username: str, disabled: bool, context: Context) -> None:
        user = self._get(username)
        self._save(with_updates(user, self._clock.now(), disabled=disabled))
        self._changed(context, username, change="disable" if disabled else "enable")

    def unlock(self, username: str, context: Context) -> None:
        user = self._get(username)
        self._save(with_updates(user, self._clock.now(), failed_count=0, locked_until=None))
        self._changed(context, username, change="unlock")

    def list(self) -> list[UserRecord]:
        return self._store.list_users()

    def bootstrap_admin(self, environ: Mapping[str, str] | None = None) -> UserRecord | None:
        """Create the first admin from the environment when there is none; None otherwise."""
        env = os.environ if environ is None else environ
        if self._store.count_admins() > 0:
            return None
        username, password = env.get(ADMIN_USER_ENV, ""), env.get(ADMIN_PASSWORD_ENV, "")
        if not username or not password:
            log.warning(
                "no admin account: create one with `chaufferie user add --role admin NAME` or set %s and %s",
                ADMIN_USER_ENV,
                ADMIN_PASSWORD_ENV,
            )
            return None
        context = Context(origin="access.bootstrap", user="system")
        user = self.add(username, Role.ADMIN, password, context, pin=env.get(ADMIN_PIN_ENV) or None)
        log.info("first admin %s created from the environment", username)
        return user

    def _get(self, username: str) -> UserRecord:
        user = self._store.get_user(username)
        if user is None:
            raise UnknownUserError(username)
        return user

    def _save(self, user: UserRecord) -> None:
        self._store.save_user(user)

    def _changed(self, context: Context, username: str, **details: str) -> None:
        if self._audit is not None:
            self._audit.record(ActionKind.USER_CHANGED, context, username, ActionResult.OK, **details)
