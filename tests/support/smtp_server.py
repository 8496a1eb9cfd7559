"""A real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS and authentication, for tests.

:class:`SmtpTestServer` generates a self-signed certificate for ``127.0.0.1`` (written to
:attr:`cert_file`, which clients trust as their CA file), requires STARTTLS before AUTH,
accepts one login (:data:`USERNAME` / :data:`PASSWORD`) and records every message it
receives as a parsed :class:`email.message.EmailMessage` in :attr:`messages`.

:meth:`stop` and :meth:`start` take it down and bring it back on the same port, to test
retries. The pytest fixture ``smtp_server`` yields a started server::

    from tests.support.smtp_server import smtp_server  # noqa: F401  (fixture)

    def test_x(smtp_server):
        settings = smtp_server.settings(from_address="chaufferie@example.org")
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chaufferie.config.alarming import SmtpSettings
from tests.conftest import free_port

USERNAME = "chaufferie"
PASSWORD = "standin-password-not-a-secret"
USER_ENV = "CHAUFFERIE_TEST_SMTP_USER"
PASSWORD_ENV = "CHAUFFERIE_TEST_SMTP_PASSWORD"


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for ``127.0.0.1`` / ``localhost``, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Recorder:
    """aiosmtpd handler: keep every message, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        return "250 OK"


def _authenticate(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class SmtpTestServer:
    """aiosmtpd on loopback: STARTTLS required, AUTH required, messages recorded."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.cert_file, self.key_file = self_signed_cert(directory)
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(self.cert_file, self.key_file)
        self._recorder = _Recorder()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self._recorder.messages

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        self._controller = Controller(
            self._recorder,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self._tls,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=_authenticate,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, from_address: str = "chaufferie@example.org", timeout_s: float = 5.0) -> SmtpSettings:
        """Client settings for this server (credentials through :data:`USER_ENV`/`PASSWORD_ENV`)."""
        return SmtpSettings(
            host="127.0.0.1",
            port=self.port,
            starttls=True,
            username_env=USER_ENV,
            password_env=PASSWORD_ENV,
            from_address=from_address,
            timeout_s=timeout_s,
            ca_file=str(self.cert_file),
        )

    def texts_to(self, address: str) -> list[str]:
        """Plain-text parts of the messages sent to ``address``."""
        found = []
        for msg in self.messages:
            if address in str(msg.get("To", "")):
                part = msg.get_body(preferencelist=("plain",))
                found.append(part.get_content().replace("\r\n", "\n") if part is not None else "")
        return found


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpTestServer]:
    """A started :class:`SmtpTestServer`, credentials in the environment."""
    monkeypatch.setenv(USER_ENV, USERNAME)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    server = SmtpTestServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
