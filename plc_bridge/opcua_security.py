"""OPC UA security for the bridge's client: certificates, pinned server certificates, credentials.

* The client's application certificate and key are generated on first run in
  ``cfg.data_path(link.pki_dir)`` (``client_cert.der``, ``client_key.pem``) and reused after
  (:func:`ensure_client_certificate`; the PLC's server must trust ``client_cert.der``).
* The server's certificate (taken from its endpoint description) must be in
  ``cfg.data_path(link.trusted_server_certs_dir)`` (``.der`` or ``.pem``, compared by SHA-256
  thumbprint). An unknown one is saved under ``<pki_dir>/rejected/`` and refused with
  :class:`~.errors.UntrustedServerCertificate`, whose message says which file to copy where.
* The endpoint is the first policy of ``link.security_policies`` that the server offers in
  SignAndEncrypt mode; ``None`` is used only if it is listed *and*
  ``allow_anonymous_lab`` is set (a lab bench, never a plant).
* Username and password come from the environment variables the link names; they are never
  logged. Without them the link refuses to connect, unless ``allow_anonymous_lab``.

Imports :mod:`chaufferie.config`, sibling modules, asyncua and cryptography.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto import security_policies
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from chaufferie.config.points import OpcUaLink, SecurityPolicy
from chaufferie.config.settings import PlantConfig
from chaufferie.plc_bridge.errors import LinkError, UntrustedServerCertificate

log = logging.getLogger(__name__)

POLICIES: dict[SecurityPolicy, type[security_policies.SecurityPolicy]] = {
    SecurityPolicy.BASIC256SHA256: security_policies.SecurityPolicyBasic256Sha256,
    SecurityPolicy.AES128_SHA256_RSAOAEP: security_policies.SecurityPolicyAes128Sha256RsaOaep,
    SecurityPolicy.AES256_SHA256_RSAPSS: security_policies.SecurityPolicyAes256Sha256RsaPss,
}
APPLICATION_URI = "urn:chaufferie:plc_bridge"
_refused_once: set[str] = set()
_unreadable_once: set[str] = set()
"""Thumbprints refused and files found unreadable: each logged once, not at every retry."""


@dataclass(frozen=True)
class Pki:
    """Where one link keeps its client certificate, its trusted and its rejected server certificates."""

    directory: Path
    trusted: Path

    @classmethod
    def of(cls, cfg: PlantConfig, link: OpcUaLink) -> Pki:
        return cls(cfg.data_path(link.pki_dir), cfg.data_path(link.trusted_server_certs_dir))

    @property
    def client_cert(self) -> Path:
        return self.directory / "client_cert.der"

    @property
    def client_key(self) -> Path:
        return self.directory / "client_key.pem"

    @property
    def rejected(self) -> Path:
        return self.directory / "rejected"

    def trusted_thumbprints(self) -> set[str]:
        """SHA-256 thumbprints of every certificate in the trusted folder."""
        prints: set[str] = set()
        if not self.trusted.is_dir():
            return prints
        for path in sorted(self.trusted.iterdir()):
            der = _read_der(path)
            if der is not None:
                prints.add(thumbprint(der))
        return prints


def thumbprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _read_der(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".pem":
            return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
        if path.suffix.lower() == ".der":
            return x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)
    except (OSError, ValueError) as exc:
        if str(path) not in _unreadable_once:
            _unreadable_once.add(str(path))
            log.warning("ignoring unreadable certificate %s: %s", path, exc)
    return None


def first_certificate(chain: bytes) -> bytes:
    """The server's own certificate from a DER chain (its first element)."""
    if len(chain) < 4 or chain[0] != 0x30:
        return chain
    length = chain[1]
    if length & 0x80:
        count = length & 0x7F
        size = int.from_bytes(chain[2 : 2 + count], "big") + 2 + count
    else:
        size = length + 2
    return chain[:size]


def check_trusted(pki: Pki, server_cert: bytes, endpoint: str) -> None:
    """Refuse ``server_cert`` unless its thumbprint is in the trusted folder (saving it to look at)."""
    print_ = thumbprint(server_cert)
    if print_ in pki.trusted_thumbprints():
        return
    pki.rejected.mkdir(parents=True, exist_ok=True)
    saved = pki.rejected / f"server_{print_[:16]}.der"
    saved.write_bytes(server_cert)
    message = (
        f"OPC UA server certificate of {endpoint} is not trusted (SHA-256 {print_}); "
        f"if it is the right server, copy {saved} into {pki.trusted}/"
    )
    if print_ not in _refused_once:
        _refused_once.add(print_)
        log.error("%s", message)
    raise UntrustedServerCertificate(message)


def choose_endpoint(
    link: OpcUaLink, endpoints: list[ua.EndpointDescription]
) -> ua.EndpointDescription | None:
    """The first of the link's policies offered with SignAndEncrypt (None: no security, lab only)."""
    for policy in link.security_policies:
        if policy is SecurityPolicy.NONE:
            if link.allow_anonymous_lab:
                return None
            continue
        uri = POLICIES[policy].URI
        for ep in endpoints:
            if ep.SecurityPolicyUri == uri and ep.SecurityMode == ua.MessageSecurityMode.SignAndEncrypt:
                return ep
    offered = sorted(
        {f"{ep.SecurityPolicyUri.rsplit('#', 1)[-1]}/{ep.SecurityMode.name}" for ep in endpoints}
    )
    raise LinkError(f"{link.endpoint} offers none of the configured security policies (offers {offered})")


def credentials(link: OpcUaLink) -> tuple[str, str] | None:
    """(user, password) from the environment; None only when anonymous is allowed for a lab."""
    user = os.environ.get(link.username_env)
    password = os.environ.get(link.password_env)
    if user and password is not None:
        return user, password
    if link.allow_anonymous_lab:
        return None
    raise LinkError(f"set {link.username_env} and {link.password_env} to log in to {link.endpoint}")


async def ensure_client_certificate(pki: Pki, client: Client | None = None) -> Path:
    """The bridge's client certificate (DER), generated with its key (0600) on first use; kept after."""
    if client is None:
        client = Client("opc.tcp://127.0.0.1:4840")  # never connected: it only names the application
        client.application_uri = APPLICATION_URI
    await client.setup_self_signed_certificate(pki.client_key, pki.client_cert)
    pki.client_key.chmod(0o600)
    return pki.client_cert


async def secure_client(link: OpcUaLink, pki: Pki, timeout_s: float = 4.0) -> Client:
    """A client configured for ``link``: security, pinned server, credentials, watchdog, session."""
    client = Client(link.endpoint, timeout=timeout_s, watchdog_intervall=link.watchdog_interval_s)
    client.application_uri = APPLICATION_URI
    client.name = client.description = "chaufferie plc_bridge"
    client.session_timeout = int(link.session_timeout_s * 1000)
    # The source watches keep-alives itself and rebuilds the whole session; asyncua's in-place
    # re-creation of a "stale" subscription would reset that clock and hide a hung server.
    client._stale_check_margin = math.inf
    login = credentials(link)
    try:
        endpoints = await client.connect_and_get_server_endpoints()
    except (OSError, TimeoutError, ua.UaError) as exc:
        raise LinkError(f"cannot reach {link.endpoint}: {exc!r}") from exc
    endpoint = choose_endpoint(link, endpoints)
    if endpoint is not None:
        server_cert = first_certificate(endpoint.ServerCertificate or b"")
        check_trusted(pki, server_cert, link.endpoint)
        await ensure_client_certificate(pki, client)
        policy = next(k for k, v in POLICIES.items() if v.URI == endpoint.SecurityPolicyUri)
        await client.set_security(
            POLICIES[policy],
            str(pki.client_cert),
            str(pki.client_key),
            server_certificate=server_cert,
            mode=ua.MessageSecurityMode.SignAndEncrypt,
        )
    if login is not None:
        client.set_user(login[0])
        client.set_password(login[1])
    return client
