"""SMS confirmations of the remote-ack webhook, sent through the alarms' outbox.

Going through the outbox gives the confirmation the same guarantees as an alarm message:
persisted, sent at most once (its key is the inbound message's context id), retried with
backoff, and recorded in the history.
"""

from __future__ import annotations

from chaufferie.alarms.outbox import Outbox
from chaufferie.alarms.store import OutboxItem
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Context


class OutboxSms:
    """``SmsSender`` that queues one SMS in the alarms' outbox."""

    def __init__(self, cfg: PlantConfig, outbox: Outbox) -> None:
        self._phones = {c.phone: c.id for c in cfg.contacts if c.phone}
        self._outbox = outbox

    async def send_sms(self, to: str, body: str, context: Context) -> None:
        item = OutboxItem(
            key=f"sms-reply:{context.id}",
            channel="sms",
            contact_id=self._phones.get(to, "?"),
            address=to,
            subject="",
            text=body,
        )
        self._outbox.enqueue(item)
