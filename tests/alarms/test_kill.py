"""kill -9 between "sent to the provider" and "marked sent": no second SMS after the restart.

The killed process runs at real pace from a chosen instant (:data:`A_WORKING_WEDNESDAY`), so
the technician it calls is the same whatever the week the test runs.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chaufferie.alarms.rota import OnCall
from chaufferie.alarms.service import AlarmService
from chaufferie.alarms.store import OutboxStatus, SqliteAlarmStore
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.loader import load_config
from tests.alarms.helpers import running, settle, with_providers
from tests.support.clocks import A_WORKING_WEDNESDAY
from tests.support.twilio_standin import TwilioStandIn

MARTIN = "+33612345678"

pytestmark = pytest.mark.calendar


def test_the_killed_process_starts_when_martin_is_on_call() -> None:
    cfg = load_config()
    assert cfg.rota is not None
    duty = OnCall(cfg.rota, cfg.contacts, ZoneInfo(cfg.site.timezone)).at(A_WORKING_WEDNESDAY)
    assert cfg.contact(duty.on_call).phone == MARTIN


async def test_sigkill_after_the_provider_took_the_sms_does_not_send_it_twice(
    twilio_standin: TwilioStandIn, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    twilio_standin.hold_s = 1.0  # the provider has the message; the answer comes too late
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("kill_child.py")),
        str(data_dir),
        twilio_standin.base_url,
        A_WORKING_WEDNESDAY.isoformat(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(30):
            await twilio_standin.received.wait()
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    store = SqliteAlarmStore(data_dir / "alarms.db")
    assert "sms" in [i.channel for i in store.outbox(OutboxStatus.SENDING)]  # killed mid-send
    store.close()
    twilio_standin.hold_s = 0
    cfg = with_providers(
        load_config(data_dir=str(data_dir)),
        TwilioSettings(from_number="+33700000000", api_base_url=twilio_standin.base_url),
        None,
    )
    clock = VirtualClock(A_WORKING_WEDNESDAY + timedelta(minutes=1))  # the restart, a minute later
    restarted = AlarmService(cfg, Bus(), clock)
    async with running(restarted):
        await settle(restarted, clock, 120, step=10)
        sms = [i for i in restarted.store.outbox() if i.channel == "sms" and i.address == MARTIN]
    assert [(i.status, i.provider_id) for i in sms] == [(OutboxStatus.SENT, twilio_standin.messages[0].sid)]
    assert len(twilio_standin.bodies_to(MARTIN)) == 1
