"""One configuration in force (issue 15, item 1): a change on the settings page reaches every
consumer, through the running system that ``build_runtime`` wires.

Martin's phone is changed the way the settings page saves a contact
(``hmi.settings_edit.save_contact`` with the root's settings store); then an alarm goes to the
new number, and a reply signed as Twilio signs it, sent from the new number with the code the
SMS carried, acknowledges as Martin. Before the live configuration, the SMS webhook kept the
contacts read at start and refused the new number as an unknown sender.
"""

from __future__ import annotations

import re

import httpx
from twilio.request_validator import RequestValidator

from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Channel,
    ConfigChanged,
    Context,
    OperatorAction,
)
from chaufferie.hmi import settings_edit
from tests.access.conftest import FROM_NUMBER
from tests.alarms.helpers import publish_tag
from tests.root.test_runtime import MARTIN, Running, running, twilio_standin

__all__ = ["running", "twilio_standin"]  # fixtures

NEW_PHONE = "+33698765432"
ADMIN = Context(origin="hmi", user="dubois", channel=Channel.HMI, address="127.0.0.1")


async def _reply(running: Running, sid: str, sender: str, body: str) -> None:
    url = f"{running.base_url}/sms/inbound"
    params = {"MessageSid": sid, "From": sender, "To": FROM_NUMBER, "Body": body}
    signature = RequestValidator(running.twilio.auth_token).compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200


async def test_a_phone_changed_on_the_settings_page_is_the_one_an_sms_reply_acknowledges_from(
    running: Running,
) -> None:
    runtime = running.runtime
    assert runtime.hmi is not None
    services = runtime.hmi.services
    changes = runtime.bus.subscribe(ConfigChanged, name="test.config")
    martin = runtime.cfg.contact("tech-martin")
    outcome = await settings_edit.save_contact(services, {**martin.model_dump(), "phone": NEW_PHONE}, ADMIN)
    assert outcome.ok, outcome.message
    [changed] = changes.drain()
    assert isinstance(changed, ConfigChanged)
    assert (changed.section, changed.context.user) == ("contacts", "dubois")
    assert changed.config.contact("tech-martin").phone == NEW_PHONE

    audit = runtime.bus.subscribe(OperatorAction, name="test.audit")
    publish_tag(runtime.bus, running.clock, "oil.fault", True)  # FIO-DEF, P1: Martin on call
    await running.settle()
    occ = running.occurrence("FIO-DEF")
    assert running.twilio.bodies_to(MARTIN) == []  # the old number hears nothing any more
    sent = re.search(r"OK (\d+)", running.twilio.bodies_to(NEW_PHONE)[-1])
    assert sent is not None

    await _reply(running, "SM-live-new", NEW_PHONE, f"OK {sent.group(1)}")
    await running.settle()
    occurrence = runtime.alarms.engine.get(occ)
    assert occurrence is not None
    assert occurrence.acked_by == "martin"
    assert running.twilio.bodies_to(NEW_PHONE)[-1] == "Alarme FIO-DEF acquittee par Julien Martin."
    await _reply(running, "SM-live-old", MARTIN, f"OK {sent.group(1)}")  # the old phone: a stranger now
    await running.settle()
    refusals = [
        a.details.get("reason")
        for a in audit.drain()
        if isinstance(a, OperatorAction)
        and a.kind is ActionKind.LINK_REFUSED
        and a.result is ActionResult.REFUSED
    ]
    assert refusals == ["unknown_sender"]
