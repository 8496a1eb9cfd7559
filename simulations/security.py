"""OPC UA security of the simulated hydraulic module: certificates and user check.

Owns: the server's key and self-signed certificate, generated on first run into
``<data_dir>/pki/`` (``sim-server-key.pem``, ``sim-server-cert.der`` — the DER a client pins),
:func:`ensure_certificate` (also used to make client certificates in tests and tools), the
allowed security policies (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss, all
SignAndEncrypt; "None" only with ``allow_anonymous_lab``) and :class:`EnvUserManager`, which
accepts exactly the user name and password found in the environment variables the link names.
Passwords are compared in constant time and never logged.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import hmac
import os
import socket
from pathlib import Path
from typing import Any

from asyncua import ua as _ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager
from cryptography.x509.oid import ExtendedKeyUsageOID

from chaufferie.config.points import OpcUaLink, SecurityPolicy

ua: Any = _ua
SERVER_KEY = "sim-server-key.pem"
SERVER_CERT = "sim-server-cert.der"
SERVER_APP_URI = "urn:chaufferie:simulator:hydraulic"

_POLICIES: dict[SecurityPolicy, ua.SecurityPolicyType] = {
    SecurityPolicy.BASIC256SHA256: ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    SecurityPolicy.AES128_SHA256_RSAOAEP: ua.SecurityPolicyType.Aes128Sha256RsaOaep_SignAndEncrypt,
    SecurityPolicy.AES256_SHA256_RSAPSS: ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
    SecurityPolicy.NONE: ua.SecurityPolicyType.NoSecurity,
}


class SimulatorConfigError(Exception):
    """The simulator cannot start as configured (the message says what to fix)."""


def security_policies(link: OpcUaLink) -> list[Any]:
    """asyncua policy types for ``link``; "None" is refused unless the link is a lab one."""
    if SecurityPolicy.NONE in link.security_policies and not link.allow_anonymous_lab:
        raise SimulatorConfigError(
            "security policy 'None' needs allow_anonymous_lab: true on the link (lab use only)"
        )
    return [_POLICIES[p] for p in link.security_policies]


def credentials(link: OpcUaLink) -> tuple[str, str]:
    """User name and password from the environment variables the link names."""
    user = os.environ.get(link.username_env, "")
    password = os.environ.get(link.password_env, "")
    if not user or not password:
        raise SimulatorConfigError(
            f"OPC UA credentials missing: set the environment variables {link.username_env} and "
            f"{link.password_env} / identifiants OPC UA absents : définir {link.username_env} et "
            f"{link.password_env}"
        )
    return user, password


class EnvUserManager(UserManager):
    """Accepts one user name and password; anonymous only on a lab link."""

    def __init__(self, user: str, password: str, allow_anonymous: bool = False) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self._allow_anonymous = allow_anonymous

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username is None and password is None:
            return User(role=UserRole.User, name="anonymous") if self._allow_anonymous else None
        user_ok = hmac.compare_digest((username or "").encode(), self._user)
        password_ok = hmac.compare_digest((password or "").encode(), self._password)
        return User(role=UserRole.User, name=username) if user_ok and password_ok else None


async def ensure_certificate(
    pki_dir: Path,
    key_name: str = SERVER_KEY,
    cert_name: str = SERVER_CERT,
    app_uri: str = SERVER_APP_URI,
    client: bool = False,
) -> tuple[Path, Path]:
    """Key (PEM) and self-signed certificate (DER) in ``pki_dir``, generated when missing."""
    pki_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start-up
    key, cert = pki_dir / key_name, pki_dir / cert_name
    use = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    await setup_self_signed_certificate(
        key,
        cert,
        app_uri,
        socket.gethostname(),
        [use],
        {"countryName": "FR", "organizationName": "chaufferie", "commonName": app_uri.rsplit(":", 1)[-1]},
    )
    return key, cert
