"""An alarm process that raises CHB-DEF and sends its SMS, to be killed (SIGKILL) mid-send.

Run by ``test_kill``: ``python kill_child.py DATA_DIR TWILIO_BASE_URL START`` with the
stand-in's credentials in the environment. It runs at real pace from the wall time ``START``
(ISO 8601), so who is on call does not depend on the day the test runs. Prints ``running``
once the service is up.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from chaufferie.alarms.service import AlarmService
from chaufferie.config.alarming import TwilioSettings
from chaufferie.config.bus import Bus
from chaufferie.config.loader import load_config
from chaufferie.config.vocabulary import Quality, TagValue
from tests.alarms.helpers import with_providers
from tests.support.clocks import StartedClock


async def main(data_dir: str, base_url: str, start: datetime) -> None:
    sms = TwilioSettings(from_number="+33700000000", api_base_url=base_url)
    cfg = with_providers(load_config(data_dir=data_dir), sms, None)
    bus, clock = Bus(), StartedClock(start)
    async with AlarmService(cfg, bus, clock) as service:
        task = asyncio.create_task(service.run())
        await asyncio.sleep(0.1)
        print("running", flush=True)
        now = clock.now()
        bus.publish(TagValue("wood.state", 7, Quality.GOOD, now, now))
        await task


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])))
