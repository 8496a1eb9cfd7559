"""``chaufferie notify-test``: send a test message now through every configured transport.

For commissioning: checks the Twilio, GSM modem and SMTP settings and their secrets
(environment variables) by one delivery attempt per transport (``--channel`` one of them) to
the on-call person (or ``--to`` a contact), and says what happened for each. Without
providers the messages land in the outbox folder.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from chaufferie.alarms.errors import AlarmError
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxStatus
from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import ConfigError, load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.historian.alarm_store import LEGACY_FILE, DatabaseAlarmStore
from chaufferie.historian.database import make_engine, migrate


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "notify-test", help="send a test SMS and email now / envoyer un SMS et un e-mail de test"
    )
    p.add_argument("--config", default=None, help="plant configuration (default: the shipped one)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--to", default=None, help="contact id (default: whoever is on call now)")
    p.add_argument(
        "--channel",
        default=None,
        help="one transport only (twilio, modem, smtp; sms/email for the outbox folder) / un seul canal",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config, **({"data_dir": args.data_dir} if args.data_dir else {}))
        return asyncio.run(_send(cfg, args.to, args.channel))
    except (ConfigError, AlarmError, KeyError) as exc:
        print(f"notify-test: {exc}", file=sys.stderr)
        return 1


async def _send(cfg: PlantConfig, contact_id: str | None, channel: str | None) -> int:
    clock = RealClock()
    cfg.data_path(".").mkdir(parents=True, exist_ok=True)
    engine = make_engine(cfg.storage_url, cfg.storage.password_env)
    await asyncio.to_thread(migrate, engine)
    store = DatabaseAlarmStore(engine, legacy=cfg.data_path(LEGACY_FILE))
    try:
        return await _send_with(cfg, clock, store, contact_id, channel)
    finally:
        await asyncio.to_thread(engine.dispose)


async def _send_with(
    cfg: PlantConfig, clock: RealClock, store: DatabaseAlarmStore, contact_id: str | None, channel: str | None
) -> int:
    async with AlarmService(cfg, Bus(), clock, store=store, owns_store=True) as service:
        if channel is not None and channel not in service.channels:
            known = ", ".join(service.channels)
            print(f"notify-test: no channel {channel!r} here (configured: {known})", file=sys.stderr)
            return 1
        now = clock.now()
        contacts = [cfg.contact(contact_id)] if contact_id else service.on_call_now(now)
        items = service.watchdog.test_items(now, contacts, f"manual-test/{now.isoformat()}", channel)
        failures = 0
        for item in items:
            service.outbox.enqueue(item)
            await service.outbox.attempt(item)
            ok = item.status is OutboxStatus.SENT
            failures += not ok
            via = type(service.channels[item.via]).__name__
            print(
                f"{item.via:6} {item.contact_id} {item.address} via {via}: "
                f"{'OK ' + item.provider_id if ok else 'FAILED ' + item.error}"
            )
        return 1 if failures else 0
