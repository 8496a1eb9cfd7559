"""Password and PIN hashing with argon2id (argon2-cffi), and the rules new secrets must meet.

Hashing is deliberately slow and memory-hard: callers on the event loop run :func:`verify`
in a worker thread. Secrets never leave this module except as hashes.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("chaufferie-dummy-secret")

MIN_PASSWORD_LENGTH = 10
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


class WeakSecretError(ValueError):
    """A password or PIN that does not meet the rules (message says which)."""


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify(stored_hash: str | None, candidate: str) -> bool:
    """True if ``candidate`` matches ``stored_hash``; a missing hash costs the same time."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, candidate) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakSecretError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise WeakSecretError("password must not start or end with spaces")
    return password


def check_pin(pin: str) -> str:
    if not PIN_PATTERN.match(pin):
        raise WeakSecretError("PIN must be 4 to 8 digits")
    if len(set(pin)) == 1:
        raise WeakSecretError("PIN must not repeat a single digit")
    return pin


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.match(username):
        raise ValueError("username: 2-32 lowercase letters, digits, '.', '_' or '-', starting with a letter")
    return username
