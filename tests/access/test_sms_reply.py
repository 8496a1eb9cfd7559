"""Acknowledging by SMS reply (``OK 123456``): Twilio signature, sender, MessageSid replay,
limits on wrong codes per sender and per occurrence, one refusal answer per window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
from twilio.request_validator import RequestValidator

from chaufferie.alarms.operations import AlarmOperations
from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmState, Channel
from chaufferie.hmi.access.alarm_adapter import alarm_recipients
from chaufferie.hmi.access.sms_guard import SmsGuard
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


UNKNOWN = "Code inconnu. Plus de reponse pendant 15 min : utilisez le lien du SMS."
TOO_MANY = "Trop d'essais : codes SMS refuses pendant 15 min. Utilisez le lien du SMS."


def wrong_codes(site: Site, occurrence_id: str) -> Iterator[str]:
    """Six-digit codes that are not the occurrence's."""
    right = site.code(occurrence_id)
    return (f"{n:06d}" for n in range(123_400, 124_000) if f"{n:06d}" != right)


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


async def test_fifteen_wrong_codes_get_one_answer_then_even_the_right_code_waits_for_the_window(
    site: Site,
) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    guesses = wrong_codes(site, occ)
    for i in range(15):
        answer = await post_reply(site, MARTIN, f"OK {next(guesses)}", f"SMG{i:03d}")
        assert answer.status_code == 200
    right = await post_reply(site, MARTIN, f"OK {site.code(occ)}", "SMR001")
    assert right.status_code == 200
    assert site.state(occ) is AlarmState.UNACKED
    assert site.twilio.bodies_to(MARTIN) == [UNKNOWN]  # one answer, not sixteen
    refusals = [(k, r, reason) for k, r, reason in kinds(site)]
    assert (
        refusals
        == [(ActionKind.LINK_REFUSED, ActionResult.REFUSED, "unknown_code")] * 5
        + [(ActionKind.LINK_REFUSED, ActionResult.REFUSED, "too_many")] * 11
    )
    await site.clock.advance(timedelta(minutes=15, seconds=1).total_seconds())
    await post_reply(site, MARTIN, f"OK {site.code(occ)}", "SMR002")
    assert site.state(occ) is AlarmState.ACKED
    assert site.twilio.bodies_to(MARTIN)[-1] == "Alarme CHB-DEF acquittee par Julien Martin."


async def test_wrong_codes_spread_over_senders_lock_the_occurrence_they_aimed_at(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin", "tech-bernard"))
    guesses = wrong_codes(site, occ)
    for i, sender in enumerate([MARTIN, BERNARD, MARTIN, BERNARD, MARTIN]):  # 3 + 2: neither sender locked
        await post_reply(site, sender, f"OK {next(guesses)}", f"SMS{i:03d}")
    await post_reply(site, BERNARD, f"OK {site.code(occ)}", "SMS100")
    assert site.state(occ) is AlarmState.UNACKED
    assert [reason for _, _, reason in kinds(site)] == ["unknown_code"] * 5 + ["too_many"]
    assert site.twilio.bodies_to(MARTIN) == [UNKNOWN]
    assert site.twilio.bodies_to(BERNARD) == [UNKNOWN]
    other = site.raise_alarm("VIS-BLQ", ("tech-bernard",))  # a later alarm is not locked by it
    await post_reply(site, BERNARD, f"OK {site.code(other)}", "SMS101")
    assert site.state(other) is AlarmState.ACKED


async def test_the_limits_are_kept_in_the_store_and_survive_a_restart(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    guesses = wrong_codes(site, occ)
    for i in range(5):
        await post_reply(site, MARTIN, f"OK {next(guesses)}", f"SMD{i:03d}")
    restarted = SmsGuard(site.store, site.clock, site.cfg.hmi)  # a new process, the same database
    assert restarted.sender_locked(MARTIN)
    assert restarted.occurrence_locked(occ)
    assert not restarted.may_answer(MARTIN)  # the one answer of this window is spent


async def test_the_lock_lasts_one_window_and_another_recipient_hears_once_why(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin", "tech-bernard"))
    guesses = wrong_codes(site, occ)
    for i in range(5):
        await post_reply(site, MARTIN, f"OK {next(guesses)}", f"SML{i:03d}")
    for i in range(2):  # Bernard, never answered yet: told once that the codes are locked
        await post_reply(site, BERNARD, f"OK {site.code(occ)}", f"SML1{i:02d}")
    assert site.twilio.bodies_to(BERNARD) == [TOO_MANY]
    await site.clock.advance(timedelta(minutes=14).total_seconds())
    await post_reply(site, MARTIN, f"OK {site.code(occ)}", "SML200")  # 5 failures within 15 min
    assert site.state(occ) is AlarmState.UNACKED
    assert site.twilio.bodies_to(MARTIN) == [UNKNOWN]
    await site.clock.advance(timedelta(minutes=2).total_seconds())
    await post_reply(site, MARTIN, "OK", "SML201")  # a new window: a refusal is answered again
    assert site.twilio.bodies_to(MARTIN)[-1].startswith("Repondez OK suivi du code")
    await post_reply(site, MARTIN, f"OK {site.code(occ)}", "SML202")
    assert site.state(occ) is AlarmState.ACKED
