"""Signed session cookies with a CSRF token.

A session is a small signed payload (itsdangerous, the same key as the links but another
salt): a random session id, the CSRF token the forms must echo, an expiry, and once logged
in the username and the link token id it was opened for. Cookies are HttpOnly,
SameSite=Strict, and Secure when the request came over HTTPS (directly or through a trusted
reverse proxy's ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from chaufferie.alarms.ack_links import instant
from chaufferie.config.clock import Clock
from chaufferie.config.settings import HmiSettings
from chaufferie.hmi.addresses import from_trusted_proxy

COOKIE = "chaufferie_access"
SALT = "chaufferie.session.v1"


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    csrf: str
    expires: datetime
    username: str | None = None
    link_id: str | None = None

    def csrf_ok(self, candidate: str) -> bool:
        return hmac.compare_digest(self.csrf.encode(), candidate.encode())


class Sessions:
    """Issue, read and write session cookies."""

    def __init__(self, settings: HmiSettings, secret: str, clock: Clock) -> None:
        self._settings = settings
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._clock = clock

    def new(self, username: str | None = None, link_id: str | None = None) -> Session:
        expires = self._clock.now() + timedelta(hours=self._settings.session_ttl_h)
        return Session(secrets.token_urlsafe(16), secrets.token_urlsafe(24), expires, username, link_id)

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw)
        except BadSignature:
            return None
        session = _parse(data)
        if session is None or session.expires <= self._clock.now():
            return None
        return session

    def write(self, request: Request, response: Response, session: Session) -> None:
        payload = {
            "s": session.sid,
            "x": session.csrf,
            "e": int(session.expires.timestamp()),
            "u": session.username,
            "l": session.link_id,
        }
        response.set_cookie(
            COOKIE,
            str(self._serializer.dumps(payload)),
            max_age=int(self._settings.session_ttl_h * 3600),
            path="/",
            httponly=True,
            samesite="strict",
            secure=is_https(request, self._settings),
        )

    def rotate(self, session: Session, username: str, link_id: str | None) -> Session:
        """A fresh session id and CSRF token on login (no session fixation)."""
        return replace(self.new(username, link_id), expires=session.expires)


def _parse(data: Any) -> Session | None:
    if not isinstance(data, dict):
        return None
    sid, csrf, expires = data.get("s"), data.get("x"), instant(data.get("e"))
    if not (isinstance(sid, str) and isinstance(csrf, str) and expires is not None):
        return None
    user, link = data.get("u"), data.get("l")
    return Session(
        sid,
        csrf,
        expires,
        user if isinstance(user, str) else None,
        link if isinstance(link, str) else None,
    )


def is_https(request: Request, settings: HmiSettings) -> bool:
    """Served over HTTPS: directly, or through a trusted proxy's ``X-Forwarded-Proto``."""
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "")
    return proto == "https" and from_trusted_proxy(request, settings.trusted_proxies)
