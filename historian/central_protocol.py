"""What a site and a central receiver say to each other (docs/central.md, "Protocol").

One fact in one place: the site's forwarder and the central receiver both read the paths,
header names, refusal reasons and the signature from here.

A site proves who it is with a **per-site signed token** on every request: an Ed25519
signature, by the site's private key (read from the environment, never from a file of the
repository or the configuration), over the message ``"<site>\\n<unix time>\\n<sha256 of the
body, hex>"``. The receiver keeps only the site's *public* key, so a leaked central database
lets no one speak for a site. The time bounds a captured request to :data:`MAX_SKEW_S`; the
site's sequence numbers make a replay within that window harmless (refused, nothing stored).

A batch (docs/exchange.md) is posted to :data:`BATCHES_PATH`; the answer, accepted or not,
is JSON with the site's ``last_seq`` stored centrally whenever the receiver knows the site,
so the site resumes after it and never sends twice what was kept.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

BATCHES_PATH = "/api/v1/batches"
LAST_SEQ_PATH = "/api/v1/sites/{site}/last-seq"
SITE_HEADER = "X-Chaufferie-Site"
TIME_HEADER = "X-Chaufferie-Time"
SIGNATURE_HEADER = "X-Chaufferie-Signature"
CONTENT_TYPE = "application/atom+xml"
MAX_SKEW_S = 300
"""A signed request older or newer than this (seconds) is refused as stale."""
MAX_BATCH_BYTES = 8 * 1024 * 1024
"""The largest batch a receiver reads by default; a larger one is refused unread (413)."""
SITE_KEY_ENV = "CHAUFFERIE_SITE_KEY"
"""The environment variable that holds a site's private key (PEM, PKCS#8, unencrypted)."""


class Refusal(StrEnum):
    """Why a receiver refused a request: the ``reason`` of its JSON answer."""

    UNKNOWN_SITE = "unknown_site"  # 403: no such site registered
    REVOKED_SITE = "revoked_site"  # 403: the site's key was revoked
    BAD_SIGNATURE = "bad_signature"  # 401: missing or wrong signature headers
    STALE = "stale"  # 401: signed time outside ± MAX_SKEW_S
    SITE_MISMATCH = "site_mismatch"  # 403: the batch names another site than the signer
    INVALID = "invalid"  # 422: not a batch feed valid by ESPI and our profile
    OVERSIZED = "oversized"  # 413: body larger than the receiver's limit
    REPLAYED = "replayed"  # 409: the batch starts at or before the last sequence stored
    BUSY = "busy"  # 503 with Retry-After: the receiver is saturated, try later


STATUS: Mapping[Refusal, int] = {
    Refusal.UNKNOWN_SITE: 403,
    Refusal.REVOKED_SITE: 403,
    Refusal.BAD_SIGNATURE: 401,
    Refusal.STALE: 401,
    Refusal.SITE_MISMATCH: 403,
    Refusal.INVALID: 422,
    Refusal.OVERSIZED: 413,
    Refusal.REPLAYED: 409,
    Refusal.BUSY: 503,
}


class SignatureError(ValueError):
    """A request whose signature headers are missing, malformed, wrong or stale."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _message(site: str, unix_time: int, body: bytes) -> bytes:
    return f"{site}\n{unix_time}\n{hashlib.sha256(body).hexdigest()}".encode()


def signed_headers(key: Ed25519PrivateKey, site: str, unix_time: int, body: bytes) -> dict[str, str]:
    """The headers that sign ``body`` as sent by ``site`` at ``unix_time``."""
    signature = key.sign(_message(site, unix_time, body))
    return {
        SITE_HEADER: site,
        TIME_HEADER: str(unix_time),
        SIGNATURE_HEADER: base64.urlsafe_b64encode(signature).decode("ascii"),
    }


def claimed_site(headers: Mapping[str, str]) -> str:
    """The site a request says it comes from; SignatureError if it names none."""
    site = headers.get(SITE_HEADER, "")
    if not site:
        raise SignatureError(Refusal.BAD_SIGNATURE, f"no {SITE_HEADER} header")
    return site


def verify(key: Ed25519PublicKey, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """The site that signed ``body``, checked with its public ``key`` at ``now`` (unix time)."""
    site = claimed_site(headers)
    try:
        unix_time = int(headers.get(TIME_HEADER, ""))
        signature = base64.urlsafe_b64decode(headers.get(SIGNATURE_HEADER, "").encode("ascii"))
    except ValueError as exc:
        raise SignatureError(Refusal.BAD_SIGNATURE, f"malformed {TIME_HEADER} or {SIGNATURE_HEADER}") from exc
    try:
        key.verify(signature, _message(site, unix_time, body))
    except InvalidSignature as exc:
        raise SignatureError(Refusal.BAD_SIGNATURE, f"the signature is not {site}'s") from exc
    if abs(now - unix_time) > MAX_SKEW_S:
        raise SignatureError(Refusal.STALE, f"signed at {unix_time}, {now - unix_time:+.0f} s from now")
    return site


@dataclass(frozen=True, slots=True)
class Answer:
    """A receiver's JSON answer: ``last_seq`` stored for the site (None if unknown)."""

    status: int
    last_seq: int | None
    reason: str | None = None
    message: str = ""
    rows: int = 0

    def json(self) -> dict[str, object]:
        body: dict[str, object] = {"last_seq": self.last_seq, "rows": self.rows}
        if self.reason is not None:
            body |= {"reason": self.reason, "message": self.message}
        return body


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def public_pem(key: Ed25519PublicKey) -> str:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_bytes(serialization.Encoding.PEM, spki).decode("ascii")


def load_public_key(pem: str) -> Ed25519PublicKey:
    """A site's public key from its PEM text; ValueError if it is not an Ed25519 key."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def load_private_key(environ: Mapping[str, str] = os.environ, name: str = SITE_KEY_ENV) -> Ed25519PrivateKey:
    """The site's private key from the environment variable ``name``; ValueError saying why not."""
    pem = environ.get(name, "")
    if not pem.strip():
        raise ValueError(f"the environment variable {name} holds no private key (chaufferie central keygen)")
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{name} is not an Ed25519 private key")
    return key
