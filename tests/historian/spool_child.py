"""A historian process whose database is unreachable: it spools events until killed.

Run by ``test_reliability``: ``python spool_child.py DATA_DIR UNREACHABLE_URL``. Prints
``spooled N`` after each batch reaches the disk.
"""

from __future__ import annotations

import asyncio
import sys

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.loader import load_config
from chaufferie.config.vocabulary import PlantEvent, PlantEventKind


async def main(data_dir: str, url: str) -> None:
    from chaufferie.historian.writer import HistorianWriter

    cfg = load_config(data_dir=data_dir)
    cfg = cfg.model_copy(update={"storage": cfg.storage.model_copy(update={"url": url})})
    clock = VirtualClock()
    writer = HistorianWriter(cfg, Bus(), clock)
    await writer.__aenter__()
    while True:
        for _ in range(50):
            writer.accept(PlantEvent(PlantEventKind.SETPOINT_CHANGED, clock.now(), message="x" * 200))
            await clock.advance(1)
        await writer._commit()
        print("spooled", writer.health.spooled, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
