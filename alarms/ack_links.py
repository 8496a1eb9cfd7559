"""Signed, expiring, single-use acknowledgement links and the SMS reply code.

Owns the ``/a/<token>`` links that go out in SMS and emails, and the short numeric code a
technician may reply with (``OK 123456``). May import only :mod:`chaufferie.config`.

A token is an itsdangerous-signed payload naming one alarm occurrence, one contact
(technician), a random token id and an expiry (epoch seconds, read from the injected clock).
Signing proves we issued it; the expiry bounds it in time; the token id is *burnt* in a
:class:`TokenLedger` (the historian's store implements it) on first use, so a link works once.

The reply code is a keyed hash (HMAC-SHA256 with the signing key) of the occurrence id,
:data:`REPLY_DIGITS` digits long: the notifier and the webhook agree without storing it, and
knowing an occurrence id (the history, the exports) does not give its code. It is a
credential like the link: only the SMS itself carries it.

Errors (one tree): :class:`LinkError` with ``reason`` in :class:`LinkRefusal`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeSerializer

from chaufferie.config.clock import Clock
from chaufferie.config.settings import HmiSettings

SALT = "chaufferie.ack-link.v1"
REPLY_SALT = b"chaufferie.reply-code.v1|"
REPLY_DIGITS = 6
"""Digits of the SMS reply code: 10^6 values, so the few guesses the webhook allows per
occurrence (``hmi.login_max_failures`` per ``hmi.login_lockout_min``) have a chance of about
one in 200 000 (docs/access-security.md)."""


class LinkRefusal(StrEnum):
    """Why a link was refused (stable codes, also used in the audit log)."""

    TAMPERED = "tampered"
    EXPIRED = "expired"
    REUSED = "reused"
    OTHER_ALARM = "other_alarm"
    OTHER_TECHNICIAN = "other_technician"
    UNKNOWN_ALARM = "unknown_alarm"


class LinkError(Exception):
    """A link cannot be used; ``reason`` says why."""

    def __init__(self, reason: LinkRefusal, message: str = "") -> None:
        super().__init__(message or reason.value)
        self.reason = reason


class MissingSecretError(RuntimeError):
    """The signing key's environment variable is not set (we refuse to start)."""


class TokenLedger(Protocol):
    """Where used token ids are burnt (append-only)."""

    def burn(self, token_id: str, occurrence_id: str, contact_id: str, at: datetime) -> bool:
        """Record ``token_id`` as used; False if it was already burnt."""

    def is_burnt(self, token_id: str) -> bool:
        """True once the token id has been used."""


class LinkMaker(Protocol):
    """What the notifier calls to put a link (and the SMS reply code) in a message."""

    def __call__(self, occurrence_id: str, contact_id: str) -> str: ...

    def reply_code(self, occurrence_id: str) -> str | None:
        """The code to reply ``OK <code>`` with; None when replies cannot be verified."""


@dataclass(frozen=True, slots=True)
class AckToken:
    """The verified content of a link."""

    token_id: str
    occurrence_id: str
    contact_id: str
    expires: datetime


def secret_from_env(settings: HmiSettings, environ: dict[str, str] | None = None) -> str:
    """The signing key from the environment variable named in config (never logged)."""
    env = os.environ if environ is None else environ
    value = env.get(settings.secret_key_env, "")
    if len(value) < 16:
        raise MissingSecretError(
            f"environment variable {settings.secret_key_env} must hold a signing key of at least"
            " 16 characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return value


def reply_code(secret: str, occurrence_id: str) -> str:
    """The number a technician replies with by SMS (``OK 123456``), keyed by ``secret``.

    The webhook refuses an ambiguous code (two open alarms sharing it) and asks for the link.
    """
    digest = hmac.new(secret.encode(), REPLY_SALT + occurrence_id.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**REPLY_DIGITS:0{REPLY_DIGITS}d}"


class AckLinks:
    """Issues and verifies acknowledgement links; an instance is a :class:`LinkMaker`."""

    def __init__(self, settings: HmiSettings, secret: str, clock: Clock) -> None:
        self._settings = settings
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._secret = secret
        self._clock = clock

    @property
    def ttl(self) -> timedelta:
        return timedelta(hours=self._settings.ack_link_ttl_h)

    def token(self, occurrence_id: str, contact_id: str) -> str:
        """A fresh signed token for ``contact_id`` to acknowledge ``occurrence_id``."""
        expires = self._clock.now() + self.ttl
        payload = {
            "t": secrets.token_urlsafe(9),
            "o": occurrence_id,
            "c": contact_id,
            "e": int(expires.timestamp()),
        }
        return str(self._serializer.dumps(payload))

    def __call__(self, occurrence_id: str, contact_id: str) -> str:
        """The full link ``<public_url>/a/<token>``."""
        base = self._settings.public_url.rstrip("/")
        return f"{base}/a/{self.token(occurrence_id, contact_id)}"

    def reply_code(self, occurrence_id: str) -> str:
        """The SMS reply code of ``occurrence_id`` (see :func:`reply_code`)."""
        return reply_code(self._secret, occurrence_id)

    def verify(self, token: str, ledger: TokenLedger | None = None) -> AckToken:
        """Check signature, expiry and (with a ledger) that it was never used."""
        try:
            payload: Any = self._serializer.loads(token)
        except BadSignature as exc:
            raise LinkError(LinkRefusal.TAMPERED, "bad signature") from exc
        parsed = _parse(payload)
        if parsed is None:
            raise LinkError(LinkRefusal.TAMPERED, "malformed payload")
        if self._clock.now() >= parsed.expires:
            raise LinkError(LinkRefusal.EXPIRED, f"expired at {parsed.expires.isoformat()}")
        if ledger is not None and ledger.is_burnt(parsed.token_id):
            raise LinkError(LinkRefusal.REUSED, "already used")
        return parsed

    def burn(self, token: AckToken, ledger: TokenLedger) -> None:
        """Use the token once; raises :class:`LinkError` (REUSED) if someone was first."""
        if not ledger.burn(token.token_id, token.occurrence_id, token.contact_id, self._clock.now()):
            raise LinkError(LinkRefusal.REUSED, "already used")


def _parse(payload: Any) -> AckToken | None:
    if not isinstance(payload, dict):
        return None
    tid, occ, contact, exp = (payload.get(k) for k in ("t", "o", "c", "e"))
    if not (isinstance(tid, str) and isinstance(occ, str) and isinstance(contact, str)):
        return None
    expires = instant(exp)
    return None if expires is None else AckToken(tid, occ, contact, expires)


def instant(epoch: object) -> datetime | None:
    """The UTC time of ``epoch`` seconds from a signed payload, or None when it is not a
    representable time (not an integer, a boolean, or out of range such as ``10**30``):
    a malformed field is refused like a bad signature, never a server error."""
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        return None
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        return None
