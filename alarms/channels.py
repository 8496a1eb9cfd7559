"""Delivery channels: Twilio SMS, SMTP email, and a local folder when no provider is set.

Each channel satisfies :class:`Notifier`: ``send`` makes one attempt and returns the
provider's message id, or raises :class:`ChannelError` (never with a secret in it);
``find_sent`` tells, after a crash between "send" and "mark sent", whether the provider
already has the message (Twilio: list of messages to that number; folder: the file exists;
SMTP cannot tell, so an email may be sent again, with the same ``Message-ID``).

Secrets (Twilio SID and token, SMTP login) are read from the environment variables named in
the settings when the channel is built; a missing one is a :class:`NotifierConfigError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import ssl
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from chaufferie.alarms.errors import ChannelError, NotifierConfigError
from chaufferie.alarms.store import OutboxItem
from chaufferie.config.alarming import SmtpSettings, TwilioSettings

log = logging.getLogger(__name__)
TWILIO_API = "https://api.twilio.com"
PROBE_TIMEOUT_S = 10.0


class Notifier(Protocol):
    """One way of reaching people: a transport (``name``) for one medium (``sms``/``email``)."""

    name: str
    medium: str

    async def send(self, item: OutboxItem) -> str: ...

    async def find_sent(self, item: OutboxItem) -> str | None: ...

    def available(self) -> bool:
        """False when the transport is known to be down (its messages go by the next one)."""

    async def probe(self) -> None:
        """Check whether the transport is reachable again (called while it is known down)."""

    async def aclose(self) -> None: ...


def _env(name: str | None, what: str) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise NotifierConfigError(f"{what}: environment variable {name} is not set")
    return value


def message_id(key: str, domain: str) -> str:
    """A stable ``Message-ID`` for an outbox key (same key → same id, for deduplication)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class TwilioSms:
    """SMS through the official ``twilio`` client (async HTTP client).

    Known down from an attempt that could not reach Twilio at all (no answer, connection
    refused: the site's internet link) until :meth:`probe` opens a TCP connection to its API
    again or an attempt gets an answer.
    """

    name = "twilio"
    medium = "sms"

    def __init__(self, settings: TwilioSettings, timeout_s: float = 15.0) -> None:
        self._credentials = (
            _env(settings.account_sid_env, "Twilio account SID"),
            _env(settings.auth_token_env, "Twilio auth token"),
        )
        self.settings, self.timeout_s = settings, timeout_s
        self._client: Client | None = None
        self._reachable = True

    @property
    def client(self) -> Client:
        """The twilio client, made on first use: its aiohttp session needs the running loop."""
        if self._client is None:
            sid, token = self._credentials
            http = AsyncTwilioHttpClient(timeout=self.timeout_s)
            self._client = Client(sid, token, http_client=http)
            if self.settings.api_base_url:
                # every Messages URL is built from the Api domain's base URL
                self._client.api.base_url = self.settings.api_base_url.rstrip("/")
        return self._client

    async def send(self, item: OutboxItem) -> str:
        try:
            msg = await self.client.messages.create_async(
                to=item.address, from_=self.settings.from_number, body=item.text
            )
        except TwilioRestException as e:
            self._reachable = True
            permanent = 400 <= e.status < 500 and e.status not in (401, 429)
            raise ChannelError(f"Twilio HTTP {e.status} (code {e.code})", permanent=permanent) from None
        except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as e:
            self._reachable = False
            raise ChannelError(f"Twilio unreachable: {type(e).__name__}") from None
        self._reachable = True
        return str(msg.sid)

    async def find_sent(self, item: OutboxItem) -> str | None:
        try:
            messages = await self.client.messages.list_async(to=item.address, limit=50)
        except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as e:
            raise ChannelError(f"Twilio unreachable: {type(e).__name__}") from None
        for m in messages:
            if m.body == item.text:
                return str(m.sid)
        return None

    def available(self) -> bool:
        return self._reachable

    async def probe(self) -> None:
        """A TCP connection to the API's host (no request: nothing is sent nor billed)."""
        url = urlsplit(self.settings.api_base_url or TWILIO_API)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, port), PROBE_TIMEOUT_S)
        except (OSError, TimeoutError):
            self._reachable = False
            return
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        if not self._reachable:
            log.info("Twilio reachable again")
        self._reachable = True

    async def aclose(self) -> None:
        if self._client is not None and isinstance(self._client.http_client, AsyncTwilioHttpClient):
            await self._client.http_client.close()
        self._client = None


class SmtpEmail:
    """Email through SMTP with STARTTLS and authentication (``aiosmtplib``)."""

    name = "smtp"
    medium = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.username = _env(settings.username_env, "SMTP user")
        self.password = _env(settings.password_env, "SMTP password")
        self.tls = ssl.create_default_context(cafile=settings.ca_file)

    def build(self, item: OutboxItem) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.from_address
        msg["To"] = item.address
        msg["Subject"] = item.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id(item.key, self.settings.from_address.split("@")[1])
        msg.set_content(item.text)
        if item.html:
            msg.add_alternative(item.html, subtype="html")
        return msg

    async def send(self, item: OutboxItem) -> str:
        s = self.settings
        msg = self.build(item)
        try:
            await aiosmtplib.send(
                msg,
                hostname=s.host,
                port=s.port,
                start_tls=s.starttls,
                tls_context=self.tls,
                username=self.username,
                password=self.password,
                timeout=s.timeout_s,
            )
        except aiosmtplib.SMTPResponseException as e:
            raise ChannelError(f"SMTP {e.code}", permanent=500 <= e.code < 600 and e.code != 535) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ssl.SSLError) as e:
            raise ChannelError(f"SMTP unreachable: {type(e).__name__}") from None
        return str(msg["Message-ID"])

    async def find_sent(self, item: OutboxItem) -> str | None:
        return None

    def available(self) -> bool:
        return True

    async def probe(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class FolderOutbox:
    """No provider configured: each message becomes one readable text file in a folder.

    Its transport name is its medium (``sms`` or ``email``), as are its files' names.
    """

    def __init__(self, folder: Path, medium: str, tz: tzinfo | None = None) -> None:
        self.folder = folder
        self.name = self.medium = medium
        self.tz = tz

    def path(self, item: OutboxItem) -> Path:
        digest = hashlib.sha256(item.key.encode()).hexdigest()[:12]
        return self.folder / f"{self.name}-{item.contact_id}-{digest}.txt"

    async def send(self, item: OutboxItem) -> str:
        path = self.path(item)
        stamp = datetime.fromtimestamp(item.created_at, self.tz or UTC).isoformat(timespec="seconds")
        content = (
            f"Canal / channel: {self.name}\nÀ / to: {item.address} ({item.contact_id})\n"
            f"Date: {stamp}\nObjet / subject: {item.subject}\nClé / key: {item.key}\n\n{item.text}\n"
        )
        try:
            await asyncio.to_thread(_write_atomic, path, content)
        except OSError as e:
            raise ChannelError(f"outbox folder: {e.strerror}") from None
        return path.name

    async def find_sent(self, item: OutboxItem) -> str | None:
        path = self.path(item)
        return path.name if path.exists() else None

    def available(self) -> bool:
        return True

    async def probe(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _write_atomic(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)
