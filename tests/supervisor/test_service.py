"""The supervisor service on a real bus with a virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.live import LiveConfig
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    Context,
    LinkEvent,
    LinkState,
    ManualModeRequest,
    OilRole,
    OperatorAction,
    PlantEvent,
    PlantEventKind,
    PlantMode,
    Quality,
    Role,
    Scalar,
    TagValue,
)
from chaufferie.supervisor.service import SupervisorService
from tests.supervisor.rig import FAULT, OUTDOOR_SP75, RUNNING, SP


def _tag(clock: VirtualClock, point: str, value: Scalar, quality: Quality = Quality.GOOD) -> TagValue:
    now = clock.now()
    return TagValue(point=point, value=value, quality=quality, source_time=now, receive_time=now)


@pytest.fixture
def live(config: PlantConfig, bus: Bus) -> LiveConfig:
    """The configuration in force, as the composition root hands it to every service."""
    return LiveConfig(config, bus)


@pytest.fixture
async def service(
    config: PlantConfig, live: LiveConfig, bus: Bus, clock: VirtualClock
) -> AsyncIterator[SupervisorService]:
    io = config.io
    for point, value in (
        (io.wood_state, RUNNING),
        (io.buffer_outlet, SP),
        (io.outdoor, OUTDOOR_SP75),
        (io.wood_modulation, 50.0),
        (io.pump_duty, 1),
        (io.network_flow, 3.0),
    ):
        bus.publish(_tag(clock, point, value))
    async with SupervisorService(live, bus, clock) as svc:
        task = asyncio.create_task(svc.run())
        await clock.advance(1)
        yield svc
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_service_starts_from_the_bus_snapshot_and_takes_control(
    service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    assert service.core.mode is PlantMode.WOOD
    assert bus.latest(config.io.buffer_outlet) is not None


async def test_wood_fault_on_the_bus_gives_one_replacement_start_and_commands(
    service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    with bus.subscribe(PlantEvent, Command, name="test") as sub:
        bus.publish(_tag(clock, config.io.wood_state, FAULT))
        bus.publish(_tag(clock, config.io.buffer_outlet, SP - 5))
        await clock.advance(119)
        assert service.core.mode is PlantMode.WOOD
        await clock.advance(2)
        out = sub.drain()
    starts = [m for m in out if isinstance(m, PlantEvent) and m.kind is PlantEventKind.OIL_STARTED]
    assert [(e.oil_role, e.reason) for e in starts] == [(OilRole.REPLACEMENT, "wood_fault")]
    oil = [m for m in out if isinstance(m, Command) and m.point == config.io.oil_enable]
    assert [c.value for c in oil] == [True]
    assert oil[0].context.origin == "supervisor"
    assert oil[0].time - clock.now() <= timedelta(seconds=2)


async def test_failed_command_is_retried_after_the_retry_delay(
    service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    with bus.subscribe(Command, name="test") as sub:
        bus.publish(
            CommandResult(
                command_id="x",
                point=config.io.wood_enable,
                value=True,
                status=CommandStatus.FAILED,
                time=clock.now(),
                message="timeout",
            )
        )
        await clock.advance(config.cascade.command_retry_s - 2)
        assert _cascade_commands(sub, config) == []
        await clock.advance(3)
        [retry] = _cascade_commands(sub, config)
    assert (retry.point, retry.value) == (config.io.wood_enable, True)


async def test_manual_mode_requests_are_answered_on_the_bus_with_one_audit_record_each(
    service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    with bus.subscribe(PlantEvent, OperatorAction, name="test") as sub:
        context = Context(origin="hmi", user="sophie", channel=Channel.HMI)
        oil = PlantMode.OIL_REPLACEMENT
        bus.publish(ManualModeRequest(oil, clock.now(), context, Role.OPERATOR))
        bus.publish(ManualModeRequest(oil, clock.now(), context, Role.TECHNICIAN, duration_s=600))
        await clock.advance(2)
        out = sub.drain()
    audits = [(m.kind, m.result) for m in out if isinstance(m, OperatorAction)]
    assert audits == [
        (ActionKind.MANUAL_MODE, ActionResult.REFUSED),
        (ActionKind.MANUAL_MODE, ActionResult.OK),
    ]
    modes = [m.mode for m in out if isinstance(m, PlantEvent) and m.kind is PlantEventKind.MODE_CHANGED]
    assert modes == [PlantMode.MANUAL]
    assert service.core.oil.role is OilRole.REPLACEMENT


async def test_failed_setpoint_write_is_retried_once_per_retry_delay(
    service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    with bus.subscribe(Command, name="test") as sub:
        for _ in range(3):
            bus.publish(
                CommandResult(
                    command_id="x",
                    point=config.io.wood_setpoint,
                    value=SP,
                    status=CommandStatus.FAILED,
                    time=clock.now(),
                    message="link down",
                )
            )
            await clock.advance(config.cascade.command_retry_s / 3)
        assert _cascade_commands(sub, config) == []
        await clock.advance(config.cascade.command_retry_s)
        retries = _cascade_commands(sub, config)
    assert [(c.point, c.value) for c in retries] == [(config.io.wood_setpoint, SP)]


async def test_link_events_on_the_bus_drive_the_comm_loss_rule(
    service: SupervisorService, bus: Bus, clock: VirtualClock, config: PlantConfig
) -> None:
    link = config.point(config.io.wood_state).link
    with bus.subscribe(PlantEvent, name="test") as sub:
        bus.publish(_tag(clock, config.io.buffer_outlet, SP - 4))
        bus.publish(
            LinkEvent(
                link=link, state=LinkState.DOWN, previous=LinkState.UP, reason="timeout", time=clock.now()
            )
        )
        bus.publish(_tag(clock, config.io.wood_state, RUNNING, Quality.BAD))
        await clock.advance(config.cascade.comm_loss_s + config.cascade.replacement_confirm_s - 1)
        assert service.core.mode is PlantMode.WOOD
        await clock.advance(3)
        starts = [e for e in sub.drain() if e.kind is PlantEventKind.OIL_STARTED]
    assert [(e.oil_role, e.reason) for e in starts] == [(OilRole.REPLACEMENT, "comm_loss")]


def _cascade_commands(sub: Subscription, config: PlantConfig) -> list[Command]:
    """The commands drained from ``sub``, but the life counters the supervisor writes anyway."""
    counters = {link.supervisor_heartbeat_point for link in config.links.values()}
    return [m for m in sub.drain() if isinstance(m, Command) and m.point not in counters]
