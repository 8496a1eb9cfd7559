"""Acknowledging by the link of an SMS: only a signed-in POST acknowledges; refusals are audited."""

from __future__ import annotations

import httpx

from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmState, Channel
from tests.access.conftest import (
    PASSWORD,
    PINS,
    Site,
    ack_by_link,
    acknowledge,
    csrf_of,
    path_of,
    sign_in_with_pin,
)


def refusals(site: Site, kind: ActionKind = ActionKind.LINK_REFUSED) -> list[str]:
    return [str(a.details.get("reason")) for a in site.actions() if a.kind is kind]


async def test_valid_link_pin_and_post_acknowledges_with_audit_on_link_channel(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        login = await sign_in_with_pin(client, link, PINS["martin"])
        assert login.status_code == 303
        answer = await acknowledge(client, link, occ, comment="je pars")
    assert answer.status_code == 200
    assert "Alarme acquittée" in answer.text
    assert "martin : je pars" in answer.text  # the comment is in the occurrence's history
    assert site.state(occ) is AlarmState.ACKED
    assert site.acked_by(occ) == "martin"
    acks = [a for a in site.actions() if a.kind is ActionKind.ACKNOWLEDGE]
    assert len(acks) == 1
    assert acks[0].result is ActionResult.OK
    assert acks[0].context.channel is Channel.LINK
    assert acks[0].context.user == "martin"
    assert acks[0].context.address == "127.0.0.1"


async def test_get_alone_acknowledges_nothing(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        for _ in range(3):  # a link preview, a scanner, the technician
            page = await client.get(path_of(link))
            assert page.status_code == 200
    assert "Défaut chaudière bois" in page.text
    assert 'name="pin"' in page.text
    assert site.state(occ) is AlarmState.UNACKED
    assert site.acked_by(occ) is None


async def test_link_page_forbids_referrer_framing_and_sniffing(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        page = await client.get(path_of(site.link(occ, "tech-martin")))
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback; Secure when served over HTTPS


async def test_expired_link_is_refused_and_audited(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    await site.clock.advance(site.cfg.hmi.ack_link_ttl_h * 3600 + 1)
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        page = await client.get(path_of(link))
    assert page.status_code == 410
    assert "Ce lien a expiré" in page.text
    assert refusals(site) == ["expired"]


async def test_reused_link_is_refused_and_audited(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        page = await client.get(path_of(link))
        form = {"csrf": csrf_of(page.text), "occurrence": occ}
        first = await client.post(f"{path_of(link)}/ack", data=form)
        again = await client.post(f"{path_of(link)}/ack", data=form)
    async with httpx.AsyncClient(base_url=site.base_url) as someone_else:
        reopened = await someone_else.get(path_of(link))
    assert first.status_code == 200
    assert again.status_code == 410
    assert reopened.status_code == 410
    assert "déjà servi" in reopened.text
    assert refusals(site) == ["reused", "reused"]


async def test_session_of_another_alarm_is_refused_and_audited(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    occ2 = site.raise_alarm("FIO-DEF", ("tech-martin",))
    link_1, link_2 = site.link(occ, "tech-martin"), site.link(occ2, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link_1, PINS["martin"])
        page = await client.get(path_of(link_1))
        form = {"csrf": csrf_of(page.text), "occurrence": occ}
        crossed = await client.post(f"{path_of(link_2)}/ack", data=form)
        swapped = await client.post(f"{path_of(link_1)}/ack", data={**form, "occurrence": occ2})
    assert crossed.status_code == 403
    assert swapped.status_code == 403
    assert "autre alarme" in crossed.text
    assert refusals(site) == ["other_alarm", "other_alarm"]
    assert site.acked_by(occ) is None


async def test_link_of_another_technician_is_refused_and_audited(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-bernard",))
    link = site.link(occ, "tech-bernard")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        page = await client.get(path_of(link))
        data = {"csrf": csrf_of(page.text), "username": "martin", "password": PASSWORD}
        answer = await client.post(f"{path_of(link)}/login", data=data)
    assert answer.status_code == 403
    assert "autre technicien" in answer.text
    refused = [a for a in site.actions() if a.kind is ActionKind.LINK_REFUSED]
    assert [a.details["reason"] for a in refused] == ["other_technician"]
    assert refused[0].context.user == "martin"
    assert site.acked_by(occ) is None


async def test_tampered_link_is_refused_and_audited(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    payload, signature = link.rsplit(".", 1)
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        page = await client.get(path_of(forged))
    assert page.status_code == 400
    assert "pas valide" in page.text
    assert refusals(site) == ["tampered"]


async def test_five_wrong_pins_lock_the_technician_out(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        answers = [await sign_in_with_pin(client, link, "0000") for _ in range(5)]
        right_pin_now = await sign_in_with_pin(client, link, PINS["martin"])
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert right_pin_now.status_code == 429
    assert "Trop d&#x27;essais" in right_pin_now.text
    failures = refusals(site, ActionKind.LOGIN_FAILED)
    assert failures == ["wrong_credentials"] * 4 + ["locked", "locked"]
    assert site.acked_by(occ) is None
    await site.clock.advance(site.cfg.hmi.login_lockout_min * 60 + 1)
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        later = await sign_in_with_pin(client, link, PINS["martin"])
    assert later.status_code == 303


async def test_viewer_cannot_acknowledge(site: Site) -> None:
    occ, answer = await ack_by_link(site, "CEN-PLN", "agent-leroy", "agent")
    assert answer.status_code == 403
    assert "rôle" in answer.text
    assert site.state(occ) is AlarmState.UNACKED
    refused = [a for a in site.actions() if a.kind is ActionKind.ACKNOWLEDGE]
    assert [(a.result, a.details["reason"]) for a in refused] == [(ActionResult.REFUSED, "role")]


async def test_post_without_the_page_csrf_token_is_refused(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        answer = await client.post(f"{path_of(link)}/ack", data={"csrf": "forged", "occurrence": occ})
    assert answer.status_code == 400
    assert refusals(site) == ["csrf"]
    assert site.acked_by(occ) is None
