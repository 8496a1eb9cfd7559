"""Malformed signed input (a link or a session cookie with an absurd expiry) is a 4xx, never a 500.

The payloads are signed with the real key, so they pass the signature check and reach the
parsing of their fields: a huge expiry (``10**30``, past what a date can hold), a negative
one, a boolean, a string.
"""

from __future__ import annotations

import httpx
import pytest
from itsdangerous import URLSafeSerializer

from chaufferie.alarms import ack_links
from chaufferie.hmi.access import sessions
from tests.access.conftest import SECRET, Site, path_of

ABSURD_EXPIRIES = (10**30, -(10**30), True, "2099-01-01", 1.5e300)


def forged_link(site: Site, occurrence_id: str, expiry: object) -> str:
    payload = {"t": "forged-id", "o": occurrence_id, "c": "tech-martin", "e": expiry}
    return str(URLSafeSerializer(SECRET, salt=ack_links.SALT).dumps(payload))


def forged_cookie(expiry: object) -> str:
    payload = {"s": "sid", "x": "csrf-token", "e": expiry, "u": "martin", "l": None}
    return str(URLSafeSerializer(SECRET, salt=sessions.SALT).dumps(payload))


@pytest.mark.parametrize("expiry", ABSURD_EXPIRIES, ids=repr)
async def test_link_with_an_absurd_expiry_is_refused_as_tampered(site: Site, expiry: object) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    token = forged_link(site, occ, expiry)
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        page = await client.get(f"/a/{token}")
        login = await client.post(f"/a/{token}/login", data={"csrf": "x", "pin": "0000"})
        ack = await client.post(f"/a/{token}/ack", data={"csrf": "x", "occurrence": occ})
    assert [page.status_code, login.status_code, ack.status_code] == [400, 400, 400]
    reasons = [a.details.get("reason") for a in site.actions()]
    assert reasons == ["tampered"] * 3


@pytest.mark.parametrize("expiry", ABSURD_EXPIRIES, ids=repr)
async def test_session_cookie_with_an_absurd_expiry_is_ignored(site: Site, expiry: object) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = path_of(site.link(occ, "tech-martin"))
    cookies = {sessions.COOKIE: forged_cookie(expiry)}
    async with httpx.AsyncClient(base_url=site.base_url, cookies=cookies) as client:
        page = await client.get(link)  # read as no session: a fresh anonymous one, the PIN form
    async with httpx.AsyncClient(base_url=site.base_url, cookies=cookies) as client:
        ack = await client.post(f"{link}/ack", data={"csrf": "csrf-token", "occurrence": occ})
        arrival = await client.post(f"/access/arrival/{occ}", data={"csrf": "csrf-token"})
    assert page.status_code == 200
    assert 'name="pin"' in page.text
    assert [ack.status_code, arrival.status_code] == [400, 400]  # no session: the CSRF check refuses
    assert site.acked_by(occ) is None
