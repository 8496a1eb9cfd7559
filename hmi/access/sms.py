"""The Twilio SMS reply webhook: ``OK 1234`` (or ``ACK``/``VU``) acknowledges by SMS.

Order of checks: the ``X-Twilio-Signature`` with Twilio's own ``RequestValidator`` against
the configured public URL (403 if wrong); the ``MessageSid`` is remembered, so a replayed
request does nothing; the sender must be a known, enabled technician (a user bound to the
contact whose phone sent it) and one of the occurrence's recipients (on call for it). The
code is :func:`chaufferie.alarms.ack_links.reply_code` of an open occurrence. The answer
goes back as a confirmation SMS through the injected :class:`SmsSender`; the HTTP answer is
an empty TwiML document. Refusals are audited with channel ``sms_reply``.
"""

from __future__ import annotations

import asyncio
import logging
import re

from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator

from chaufferie.alarms.ack_links import reply_code
from chaufferie.config.alarming import Contact, Language
from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context
from chaufferie.historian.access_store import UserRecord
from chaufferie.hmi.access import texts
from chaufferie.hmi.access.desk import ACK_ROLE
from chaufferie.hmi.access.ports import OccurrenceView
from chaufferie.hmi.access.services import AccessServices

log = logging.getLogger(__name__)

PATH = "/sms/inbound"
REPLY = re.compile(r"^\s*(?:OK|ACK|VU)\s*[:#-]?\s*(\d{4})\s*[.!]?\s*$", re.IGNORECASE)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twiml(status: int = 200) -> Response:
    return Response(EMPTY_TWIML, status_code=status, media_type="application/xml")


class SmsWebhook:
    def __init__(self, services: AccessServices) -> None:
        self.s = services
        token = services.twilio_token
        self._validator = RequestValidator(token) if token else None
        self._url = services.cfg.hmi.public_url.rstrip("/") + PATH

    async def inbound(self, request: Request) -> Response:
        if self._validator is None:
            return Response("SMS not configured", status_code=404)
        params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        sender = params.get("From", "")
        ctx = Context(origin="access.sms", channel=Channel.SMS_REPLY, address=sender or None)
        signature = request.headers.get("x-twilio-signature", "")
        if not self._validator.validate(self._url, params, signature):
            self.refused(ctx, "bad_signature")
            return Response("invalid signature", status_code=403)
        sid = params.get("MessageSid", "")
        now = self.s.clock.now()
        if not sid or not await asyncio.to_thread(self.s.store.remember_message, sid, sender, now):
            log.info("SMS %s already processed: ignored", sid or "without MessageSid")
            return twiml()
        await self.handle(sender, params.get("Body", ""), ctx)
        return twiml()

    def refused(self, ctx: Context, reason: str, target: str = "") -> None:
        self.s.audit.record(ActionKind.LINK_REFUSED, ctx, target, ActionResult.REFUSED, reason=reason)

    async def handle(self, sender: str, body: str, ctx: Context) -> None:
        contact = self.contact_by_phone(sender)
        user = None if contact is None else await asyncio.to_thread(self.s.store.user_by_contact, contact.id)
        if contact is None or user is None or user.disabled or not user.role.at_least(ACK_ROLE):
            self.refused(ctx, "unknown_sender")
            return
        ctx = Context(ctx.origin, user.username, ctx.channel, ctx.address)
        match = REPLY.match(body)
        if match is None:
            self.refused(ctx, "syntax")
            await self.reply(contact, ctx, "sms.syntax")
            return
        number = match.group(1)
        found = [o for o in self.s.lookup.open_occurrences() if reply_code(o.occurrence_id) == number]
        if len(found) != 1:
            key = "sms.unknown_code" if not found else "sms.ambiguous"
            self.refused(ctx, key.removeprefix("sms."), number)
            await self.reply(contact, ctx, key, number=number)
            return
        await self.acknowledge(found[0], contact, user, ctx)

    async def acknowledge(
        self, occ: OccurrenceView, contact: Contact, user: UserRecord, ctx: Context
    ) -> None:
        if contact.id not in occ.recipients:
            self.refused(ctx, "not_recipient", f"{occ.code}/{occ.occurrence_id}")
            await self.reply(contact, ctx, "sms.not_recipient", code=occ.code)
            return
        if not occ.needs_ack:
            await self.reply(contact, ctx, "sms.already", code=occ.code)
            return
        outcome = await self.s.desk.acknowledge(occ, user, ctx)
        key = "sms.acked" if outcome.acknowledged else "sms.already"
        await self.reply(contact, ctx, key, code=occ.code, name=user.display_name)

    def contact_by_phone(self, phone: str) -> Contact | None:
        for contact in self.s.cfg.contacts:
            if contact.phone and contact.phone == phone.strip():
                return contact
        return None

    async def reply(self, contact: Contact, ctx: Context, key: str, **values: str) -> None:
        if self.s.sms is None or contact.phone is None:
            return
        text = texts.fr(key, **values) if contact.language is Language.FR else texts.en(key, **values)
        await self.s.sms.send_sms(contact.phone, text, ctx.child("access.sms.reply"))
