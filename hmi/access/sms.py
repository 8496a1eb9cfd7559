"""SMS replies: ``OK 123456`` (or ``ACK``/``VU``) acknowledges by SMS, through Twilio or the modem.

Two ways in, one judge (:class:`SmsReplies`). The Twilio webhook (:class:`SmsWebhook`) checks
the ``X-Twilio-Signature`` with Twilio's own ``RequestValidator`` against the configured public
URL (403 if wrong) and remembers the ``MessageSid``, so a replayed request does nothing. A
message the GSM modem received (:meth:`SmsReplies.from_modem`) is remembered by the modem's
reference (message reference, SMS centre time stamp, sender): a replay is refused and audited.
Then the sender must be a known, enabled technician (a user bound to the
contact whose phone sent it, among the contacts in force: ``services.cfg`` reads the live
configuration, so a phone changed on the settings page is recognised at once), not locked
by :class:`~.sms_guard.SmsGuard` (too many wrong codes), and one of the occurrence's
recipients (on call for it). The code is
:meth:`~chaufferie.alarms.ack_links.AckLinks.reply_code` of an open, unlocked occurrence.
The answer goes back as an SMS through the injected :class:`SmsSender`, by the way the reply
came in: always for an acknowledgement, at most once per window for refusals; the webhook's
HTTP answer is an empty TwiML document. Every refusal is audited with channel ``sms_reply``
(Twilio) or ``sms_modem``, never with the code sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator

from chaufferie.alarms.ack_links import REPLY_DIGITS
from chaufferie.alarms.permissions import ACK_ROLE
from chaufferie.config.alarming import Contact, Language
from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context
from chaufferie.historian.access_store import UserRecord
from chaufferie.hmi.access import texts
from chaufferie.hmi.access.ports import OccurrenceView
from chaufferie.hmi.access.services import AccessServices
from chaufferie.hmi.access.sms_guard import SmsGuard

log = logging.getLogger(__name__)

PATH = "/sms/inbound"
REPLY = re.compile(rf"^\s*(?:OK|ACK|VU)\s*[:#-]?\s*(\d{{{REPLY_DIGITS}}})\s*[.!]?\s*$", re.IGNORECASE)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twiml(status: int = 200) -> Response:
    return Response(EMPTY_TWIML, status_code=status, media_type="application/xml")


class SmsReplies:
    """The judge of SMS replies, whichever way they came in (see module docstring)."""

    def __init__(self, services: AccessServices) -> None:
        self.s = services
        self._guard = SmsGuard(services.store, services.clock, services.cfg.hmi)
        self._lock = asyncio.Lock()  # one reply judged at a time: the counters stay exact

    async def from_modem(self, sender: str, body: str, reference: str) -> None:
        """A message the GSM modem received; ``reference`` identifies it (replay protection)."""
        ctx = Context(origin="access.sms_modem", channel=Channel.SMS_MODEM, address=sender or None)
        seen = "modem:" + hashlib.sha256(reference.encode()).hexdigest()[:40]
        if not await asyncio.to_thread(self.s.store.remember_message, seen, sender, self.s.clock.now()):
            log.info("modem SMS from %s already processed: refused", sender)
            self.refused(ctx, "replayed")
            return
        await self.handle(sender, body, ctx)

    def refused(self, ctx: Context, reason: str, target: str = "") -> None:
        self.s.audit.record(ActionKind.LINK_REFUSED, ctx, target, ActionResult.REFUSED, reason=reason)

    async def handle(self, sender: str, body: str, ctx: Context) -> None:
        contact = self.contact_by_phone(sender)
        user = None if contact is None else await asyncio.to_thread(self.s.store.user_by_contact, contact.id)
        if contact is None or user is None or user.disabled or not user.role.at_least(ACK_ROLE):
            self.refused(ctx, "unknown_sender")
            return
        ctx = Context(ctx.origin, user.username, ctx.channel, ctx.address)
        async with self._lock:
            await self.judge(contact, user, body, ctx)

    async def judge(self, contact: Contact, user: UserRecord, body: str, ctx: Context) -> None:
        """The reply of a known technician: locked, malformed, wrong code, or acknowledge."""
        phone, guard = contact.phone or "", self._guard
        if await asyncio.to_thread(guard.sender_locked, phone):
            await self.refuse(contact, ctx, "too_many")
            return
        match = REPLY.match(body)
        if match is None:
            await self.refuse(contact, ctx, "syntax")
            return
        open_ = self.s.lookup.open_occurrences()
        found = [o for o in open_ if self.s.links.reply_code(o.occurrence_id) == match.group(1)]
        if not found:
            aimed = [o.occurrence_id for o in open_ if o.needs_ack and contact.id in o.recipients]
            await asyncio.to_thread(guard.failed, phone, aimed)
            await self.refuse(contact, ctx, "unknown_code")
            return
        if len(found) > 1:
            await self.refuse(contact, ctx, "ambiguous")
            return
        occ = found[0]
        target = f"{occ.code}/{occ.occurrence_id}"
        if await asyncio.to_thread(guard.occurrence_locked, occ.occurrence_id):
            await self.refuse(contact, ctx, "too_many", target)
        elif contact.id not in occ.recipients:
            await asyncio.to_thread(guard.failed, phone, [occ.occurrence_id])
            await self.refuse(contact, ctx, "not_recipient", target, code=occ.code)
        else:
            await self.acknowledge(occ, contact, user, ctx)

    async def refuse(
        self, contact: Contact, ctx: Context, reason: str, target: str = "", **values: str
    ) -> None:
        """Audit the refusal; answer it only if nothing was answered to that phone lately."""
        self.refused(ctx, reason, target)
        if await asyncio.to_thread(self._guard.may_answer, contact.phone or ""):
            await self.reply(contact, ctx, f"sms.{reason}", minutes=self._guard.minutes, **values)

    async def acknowledge(
        self, occ: OccurrenceView, contact: Contact, user: UserRecord, ctx: Context
    ) -> None:
        target = f"{occ.code}/{occ.occurrence_id}"
        if not occ.needs_ack:
            self.refused(ctx, "already_acknowledged", target)
            await self.reply(contact, ctx, "sms.already", code=occ.code)
            return
        outcome = await self.s.desk.acknowledge(occ, user, ctx)  # audited there, either way
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


class SmsWebhook:
    """Twilio's webhook for the SMS it receives (``POST /sms/inbound``)."""

    def __init__(self, services: AccessServices, replies: SmsReplies) -> None:
        self.s, self.replies = services, replies
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
            self.replies.refused(ctx, "bad_signature")
            return Response("invalid signature", status_code=403)
        sid = params.get("MessageSid", "")
        now = self.s.clock.now()
        if not sid or not await asyncio.to_thread(self.s.store.remember_message, sid, sender, now):
            log.info("SMS %s already processed: ignored", sid or "without MessageSid")
            return twiml()
        await self.replies.handle(sender, params.get("Body", ""), ctx)
        return twiml()
