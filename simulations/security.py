"""OPC UA security of the simulated hydraulic module: certificates and user check.

Owns: the server's key and self-signed certificate, generated on first run into
``<data_dir>/pki/`` (``sim-server-key.pem``, ``sim-server-cert.der`` — the DER a client pins),
:func:`ensure_certificate` (also used to make client certificates in tests and tools), the
allowed security policies (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss, all
SignAndEncrypt; "None" only with ``allow_anonymous_lab``), the trust list of client
certificates (:class:`ClientTrust`, ``<data_dir>/pki/trusted-clients/``, filled by
:func:`trust_client`) and :class:`EnvUserManager`, which activates a session only on a
SignAndEncrypt channel opened with a trusted client certificate, for exactly the user name and
password found in the environment variables the link names. Passwords are compared in constant
time and never logged.

Where the checks sit in asyncua (2.1): CreateSession calls the server's certificate validator
with the certificate the client *says* it has (:meth:`ClientTrust.validate`: an untrusted one is
refused before any password is sent); ActivateSession hands the user manager the certificate of
the SecureChannel itself — ``None`` on the discovery channel without security — and that is the
check that cannot be dodged (:meth:`ClientTrust.check_channel`). A session is thus never
activated on a channel that is not signed and encrypted with a trusted certificate.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import hmac
import logging
import os
import socket
from pathlib import Path
from typing import Any

from asyncua import ua as _ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from asyncua.server.user_managers import UserManager
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from chaufferie.config.points import OpcUaLink, SecurityPolicy

log = logging.getLogger(__name__)
ua: Any = _ua
SERVER_KEY = "sim-server-key.pem"
SERVER_CERT = "sim-server-cert.der"
SERVER_APP_URI = "urn:chaufferie:simulator:hydraulic"
TRUSTED_CLIENTS = "trusted-clients"
"""Folder of ``<data_dir>/pki/`` holding the client certificates allowed to open sessions."""
_SHA256 = hashes.SHA256()
_CHECKS = (
    CertificateValidatorOptions.TIME_RANGE
    | CertificateValidatorOptions.URI
    | CertificateValidatorOptions.TRUSTED
    | CertificateValidatorOptions.REVOKED
)

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


class ClientTrust:
    """The client certificates (DER or PEM) in ``<pki>/trusted-clients/``, re-read at each session.

    A certificate copied there is trusted from the next CreateSession on, without a restart.
    """

    def __init__(self, pki_dir: Path) -> None:
        self.directory = pki_dir / TRUSTED_CLIENTS
        self._store = TrustStore([self.directory], [])
        self._validator = CertificateValidator(_CHECKS, self._store)

    async def load(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        store = TrustStore([self.directory], [])
        try:
            await store.load_trust()
        except ValueError:  # an empty folder: a store that trusts nobody
            store = TrustStore([self.directory], [])
        self._store = store
        self._validator = CertificateValidator(_CHECKS, store)

    async def validate(self, cert: x509.Certificate, description: Any) -> None:
        """CreateSession: refuse (BadCertificateUntrusted…) a certificate not in the trust list."""
        await self.load()
        try:
            await self._validator.validate(cert, description)
        except ServiceError:
            log.warning(
                "OPC UA session refused: client certificate %s (%s) is not trusted; to trust it: "
                "chaufferie sim --trust CERT.der",
                cert.fingerprint(_SHA256).hex(),
                description.ApplicationUri,
            )
            raise

    def check_channel(self, certificate: bytes | None) -> None:
        """ActivateSession: the SecureChannel must be secured (it has a peer certificate) and trusted."""
        if not certificate:  # None or b"": SecurityPolicy None
            log.warning("OPC UA session refused: activation on a channel without security")
            raise ServiceError(ua.StatusCodes.BadSecurityModeRejected)
        try:
            trusted = self._store.validate(x509.load_der_x509_certificate(certificate))
        except ValueError:
            trusted = False
        if not trusted:
            log.warning("OPC UA session refused: the channel's client certificate is not trusted")
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)


def trust_client(pki_dir: Path, cert_file: Path) -> Path:
    """Copy a client certificate (DER or PEM) into the trust list, as DER; returns the new file."""
    data = cert_file.read_bytes()
    try:
        cert = (
            x509.load_pem_x509_certificate(data)
            if data.lstrip().startswith(b"-----")
            else x509.load_der_x509_certificate(data)
        )
    except ValueError as exc:
        raise SimulatorConfigError(
            f"{cert_file}: not an X.509 certificate (DER or PEM) / pas un certificat X.509 : {exc}"
        ) from exc
    folder = pki_dir / TRUSTED_CLIENTS
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{cert_file.stem}-{cert.fingerprint(_SHA256).hex()[:12]}.der"
    target.write_bytes(cert.public_bytes(Encoding.DER))
    return target


class EnvUserManager(UserManager):
    """Accepts one user name and password on a trusted secure channel; anonymous only on a lab link.

    ``trust`` is None only on a lab link that lists security policy None (no channel check).
    """

    def __init__(
        self, user: str, password: str, allow_anonymous: bool = False, trust: ClientTrust | None = None
    ) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self._allow_anonymous = allow_anonymous
        self._trust = trust

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if self._trust is not None:
            self._trust.check_channel(certificate)
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
    """Key (PEM, 0600) and self-signed certificate (DER) in ``pki_dir``, generated when missing."""
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
    key.chmod(0o600)
    return key, cert
