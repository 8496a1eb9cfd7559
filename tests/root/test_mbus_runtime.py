"""The M-Bus meters through the composition root: ``build_runtime`` wires the configured link,
which reads the simulator's gateway; the readings reach the bus and the historian's samples."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Quality
from chaufferie.historian import schema
from chaufferie.plc_bridge.mbus_source import MbusLinkSource
from chaufferie.simulations.meters import MbusGatewayServer
from chaufferie.simulations.plant import Plant
from tests.conftest import free_port
from tests.root.test_runtime import run_system
from tests.support.mbus import with_meters
from tests.support.plc import eventually
from tests.support.twilio_standin import TwilioStandIn, twilio_standin

__all__ = ["twilio_standin"]  # the fixture


async def test_the_wired_runtime_reads_the_meters_into_the_bus_and_the_historian(
    config: PlantConfig,
    clock: VirtualClock,
    twilio_standin: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    cfg = with_meters(config, port)
    plant = Plant(cfg)
    plant.step(3 * 3600)
    gateway = MbusGatewayServer("meters", plant.meters, port)
    await gateway.start()
    try:
        async with run_system(cfg, clock, twilio_standin, monkeypatch) as system:
            runtime = system.runtime
            source = runtime.bridge.sources["meters"]
            assert isinstance(source, MbusLinkSource)
            await eventually(lambda: source.polls >= 1, 10)
            tag = runtime.bus.latest("heat.salle.energy")
            assert tag is not None
            assert tag.quality is Quality.GOOD
            assert tag.value == pytest.approx(plant.meters.meters["salle"].index, abs=0.05)
            await runtime.historian.flush()
            with runtime.historian.engine.connect() as conn:
                ids = select(schema.points.c.id).where(schema.points.c.name.like("heat.%"))
                stored = conn.scalar(
                    select(func.count()).select_from(schema.samples).where(schema.samples.c.point_id.in_(ids))
                )
            assert stored == 28  # 4 heat meters × 7 records, one sample each
    finally:
        await gateway.stop()
