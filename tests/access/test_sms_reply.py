"""Acknowledging by SMS reply (``OK 1234``): Twilio signature, sender, MessageSid replay."""

from __future__ import annotations

import httpx
from twilio.request_validator import RequestValidator

from chaufferie.alarms.operations import AlarmOperations
from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmState, Channel
from chaufferie.hmi.access.alarm_adapter import alarm_recipients
from tests.access.conftest import Site

MARTIN = "+33612345678"
BERNARD = "+33623456789"
STRANGER = "+33699999999"


async def post_reply(site: Site, sender: str, body: str, sid: str, *, forge: bool = False) -> httpx.Response:
    url = f"{site.base_url}/sms/inbound"
    params = {"MessageSid": sid, "From": sender, "To": "+33700000000", "Body": body, "NumMedia": "0"}
    signature = RequestValidator(site.twilio.auth_token).compute_signature(url, params)
    if forge:
        signature = RequestValidator("not-the-token").compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=params, headers={"X-Twilio-Signature": signature})


def kinds(site: Site) -> list[tuple[ActionKind, ActionResult, str]]:
    return [(a.kind, a.result, str(a.details.get("reason", ""))) for a in site.actions()]


async def test_signed_reply_from_on_call_number_acknowledges_and_confirms(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin", "tech-bernard"))
    answer = await post_reply(site, MARTIN, f"ok {site.code(occ)}", "SM0001")
    assert answer.status_code == 200
    assert "<Response>" in answer.text
    assert site.state(occ) is AlarmState.ACKED
    assert site.acked_by(occ) == "martin"
    acks = [a for a in site.actions() if a.kind is ActionKind.ACKNOWLEDGE]
    assert [(a.result, a.context.channel, a.context.address) for a in acks] == [
        (ActionResult.OK, Channel.SMS_REPLY, MARTIN)
    ]
    assert site.twilio.bodies_to(MARTIN) == ["Alarme CHB-DEF acquittee par Julien Martin."]


async def test_bad_signature_is_forbidden(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    answer = await post_reply(site, MARTIN, f"OK {site.code(occ)}", "SM0002", forge=True)
    assert answer.status_code == 403
    assert site.state(occ) is AlarmState.UNACKED
    assert kinds(site) == [(ActionKind.LINK_REFUSED, ActionResult.REFUSED, "bad_signature")]
    assert site.twilio.messages == []


async def test_replayed_message_sid_does_nothing_more(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    first = await post_reply(site, MARTIN, f"VU {site.code(occ)}", "SM0003")
    replay = await post_reply(site, MARTIN, f"VU {site.code(occ)}", "SM0003")
    assert (first.status_code, replay.status_code) == (200, 200)
    assert [k for k in kinds(site) if k[0] is ActionKind.ACKNOWLEDGE] == [
        (ActionKind.ACKNOWLEDGE, ActionResult.OK, "")
    ]
    assert len(site.twilio.bodies_to(MARTIN)) == 1


async def test_unknown_sender_is_refused_and_audited(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    answer = await post_reply(site, STRANGER, f"ACK {site.code(occ)}", "SM0004")
    assert answer.status_code == 200
    assert site.state(occ) is AlarmState.UNACKED
    refused = [a for a in site.actions() if a.kind is ActionKind.LINK_REFUSED]
    assert [(a.details["reason"], a.context.address) for a in refused] == [("unknown_sender", STRANGER)]
    assert site.twilio.messages == []


async def test_technician_not_on_call_for_that_alarm_is_refused(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    await post_reply(site, BERNARD, f"OK {site.code(occ)}", "SM0005")
    assert site.state(occ) is AlarmState.UNACKED
    assert kinds(site) == [(ActionKind.LINK_REFUSED, ActionResult.REFUSED, "not_recipient")]
    assert site.twilio.bodies_to(BERNARD) == ["Vous n'etes pas d'astreinte pour CHB-DEF."]


async def test_reply_without_a_code_gets_the_syntax_back(site: Site) -> None:
    site.raise_alarm("CHB-DEF", ("tech-martin",))
    await post_reply(site, MARTIN, "oui je passe", "SM0006")
    assert site.twilio.bodies_to(MARTIN) == [
        "Repondez OK suivi du code, ex. OK 123456. Plus de reponse pendant 15 min."
    ]


async def test_default_recipients_are_the_outbox_and_the_rota_duty(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF")
    recipients = alarm_recipients(AlarmOperations(site.engine))
    # Monday 12 Jan 2026, 03:00 in Paris: before the 08:00 handover, Martin's week still
    assert recipients(occ) == ("tech-martin", "tech-bernard", "mgr-dubois")
