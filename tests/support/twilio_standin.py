"""A local stand-in of the Twilio Messages API on 127.0.0.1, for tests only.

It answers what the official ``twilio`` client sends for ``messages.create_async`` and
``messages.list_async``: ``POST`` and ``GET /2010-04-01/Accounts/{sid}/Messages.json``,
HTTP Basic authentication with the account SID and auth token, form fields ``To``,
``From`` and ``Body``. Accepted messages are recorded in :attr:`TwilioStandIn.messages`.

Switches make it misbehave like a real provider does:

* :meth:`fail_next` answers ``500`` to the next N requests, :attr:`down` to every one;
* :attr:`hold_s` records a message, then waits this long before answering (a send that the
  provider received while our process died before reading the answer).

Use the ``twilio_standin`` fixture (credentials set in the environment) or::

    async with TwilioStandIn() as twilio:
        settings = TwilioSettings(from_number="+33700000000", api_base_url=twilio.base_url)
        ...
        assert [m.body for m in twilio.messages] == [...]
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import free_port

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "standin-token-not-a-secret"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class SmsRecord:
    """One message the stand-in accepted."""

    sid: str
    to: str
    from_: str
    body: str
    time: datetime


class TwilioStandIn:
    """An aiohttp server imitating the Twilio Messages API (see module docstring)."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.port = free_port()
        self.messages: list[SmsRecord] = []
        self.requests = 0
        self.failures_left = 0
        self.down = False
        self.hold_s = 0.0
        self.received = asyncio.Event()
        """Set whenever a message is recorded (clear it to wait for the next one)."""
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """What goes in ``TwilioSettings.api_base_url``."""
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, count: int) -> None:
        """Answer ``500`` to the next ``count`` requests."""
        self.failures_left = count

    def bodies_to(self, number: str) -> list[str]:
        return [m.body for m in self.messages if m.to == number]

    async def __aenter__(self) -> TwilioStandIn:
        app = web.Application()
        path = "/2010-04-01/Accounts/{sid}/Messages.json"
        app.router.add_post(path, self._create)
        app.router.add_get(path, self._list)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _check(self, request: web.Request) -> web.Response | None:
        """Twilio's own checks: failure switches, account in the path, Basic auth."""
        self.requests += 1
        if self.down or self.failures_left > 0:
            self.failures_left = max(0, self.failures_left - 1)
            return _error(500, 20500, "Internal Server Error")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        form = await request.post()
        to, from_, body = (str(form.get(k, "")) for k in ("To", "From", "Body"))
        if not _E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ or not body:
            return _error(400, 21602, "Message body and From are required.")
        record = SmsRecord(f"SM{next(self._seq):032x}", to, from_, body, datetime.now(UTC))
        self.messages.append(record)
        self.received.set()
        if self.hold_s > 0:
            await asyncio.sleep(self.hold_s)
        return web.json_response(self._resource(record), status=201)

    async def _list(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        to = request.query.get("To")
        records = [self._resource(m) for m in reversed(self.messages) if to is None or m.to == to]
        return web.json_response(
            {
                "messages": records,
                "end": max(0, len(records) - 1),
                "first_page_uri": request.path_qs,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": request.path_qs,
            }
        )

    def _resource(self, m: SmsRecord) -> dict[str, Any]:
        stamp = format_datetime(m.time)
        return {
            "sid": m.sid,
            "account_sid": self.account_sid,
            "to": m.to,
            "from": m.from_,
            "body": m.body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{m.sid}.json",
        }


@pytest.fixture
async def twilio_standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TwilioStandIn]:
    """A running stand-in; its credentials in ``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    async with TwilioStandIn() as server:
        yield server


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )
