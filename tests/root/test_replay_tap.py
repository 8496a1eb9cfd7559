"""The replay's tap publishes what the PLC bridge publishes: it runs the bridge's own trackers."""

from __future__ import annotations

import math
from typing import Any

from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Message, Quality, TagValue
from chaufferie.plc_bridge.base import SourceCore
from chaufferie.replay_tap import PlantTap, ReplayClock, reader
from chaufferie.simulations.plant import Plant

STEP_S = 10.0


class Recorder:
    """A bus stand-in for :class:`SourceCore`: it keeps what the bridge publishes."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        self.messages.append(message)


def _tags(messages: list[Message]) -> list[tuple[Any, ...]]:
    """The tag values as comparable rows (the order within one poll does not matter)."""
    rows = [
        (m.source_time, m.point, repr(m.value), m.quality, m.stale)
        for m in messages
        if isinstance(m, TagValue)
    ]
    return sorted(rows)


def _bridge_poll(cores: dict[str, SourceCore], plant: Plant) -> None:
    """One poll of the real bridge's cores: each link answers with the plant's values, or fails."""
    bad = plant.bad_points()
    for link, core in cores.items():
        names = list(core.trackers)
        if link in plant.links_down:
            core.fail(names)
            continue
        readings = [(name, reader(name)(plant)) for name in names]
        core.accept_many([r for r in readings if r[0] not in bad], Quality.GOOD)
        core.accept_many([r for r in readings if r[0] in bad], Quality.BAD)


def test_the_tap_publishes_what_the_bridge_publishes_through_link_losses(config: PlantConfig) -> None:
    """Comm-loss scenario (boiler PLC, hydraulic module and heat meter lost in turn), 4 h."""
    tapped, bridged = Plant(config), Plant(config)
    for plant in (tapped, bridged):
        plant.apply_scenario("comm-loss")
    tap_out: list[Message] = []
    tap = PlantTap(config, tapped, [p.name for p in config.points], [tap_out.append])
    clock = ReplayClock(bridged.now)
    bus = Recorder()
    cores = {
        link: SourceCore(
            link,
            [p for p in config.points if p.link == link],
            bus,  # type: ignore[arg-type]
            clock,
            heartbeat_point=None,
            heartbeat_timeout_s=30.0,
            backoff_initial_s=1.0,
        )
        for link in config.links
    }
    while tapped.t < 4 * 3600.0:
        clock.t = bridged.t
        tap.poll(tapped.now)
        _bridge_poll(cores, bridged)
        tapped.step(STEP_S)
        bridged.step(STEP_S)
    tap_tags, bridge_tags = _tags(tap_out), _tags(bus.messages)
    assert any(row[3] is Quality.BAD and row[4] for row in bridge_tags), "the scenario cut no link"
    assert tap_tags == bridge_tags


def test_a_steady_value_is_published_again_at_the_points_heartbeat(config: PlantConfig) -> None:
    plant = Plant(config)
    point = config.point("wood.enable")
    published: list[Message] = []
    tap = PlantTap(config, plant, [point.name], [published.append])
    times = []
    while plant.t <= 2 * point.heartbeat_s:
        before = len(published)
        tap.poll(plant.now)
        times += [plant.t] * (len(published) - before)
        plant.step(STEP_S)
    assert times == [0.0, point.heartbeat_s, 2 * point.heartbeat_s]


def test_nan_from_a_broken_sensor_is_bad_without_a_value(config: PlantConfig) -> None:
    plant = Plant(config)
    published: list[Message] = []
    tap = PlantTap(config, plant, ["wood.flue_temp"], [published.append])
    tap.poll(plant.now)
    plant.wood.flue_c = math.nan
    plant.t += STEP_S
    tap.poll(plant.now)
    last = published[-1]
    assert isinstance(last, TagValue)
    assert (last.point, last.value, last.quality) == ("wood.flue_temp", None, Quality.BAD)
