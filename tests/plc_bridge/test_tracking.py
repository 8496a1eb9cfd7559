"""What gets published: deadband, heartbeat, sentinels, staleness, the PLC life counter."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from chaufferie.config.vocabulary import Quality
from chaufferie.plc_bridge.tracking import HeartbeatWatch, PointTracker, worst
from tests.plc_bridge.points import modbus_point

T0 = datetime(2026, 1, 12, tzinfo=UTC)


def _tracker(**kw: object) -> PointTracker:
    return PointTracker(modbus_point("wood.temp", "input_register", 0, "int16", **kw))


def test_changes_within_the_deadband_are_not_published_until_the_heartbeat() -> None:
    t = _tracker(deadband=0.5, heartbeat_s=60)
    assert t.observe(20.0, Quality.GOOD, T0, T0, 0.0) is not None
    assert t.observe(20.4, Quality.GOOD, T0, T0, 1.0) is None
    moved = t.observe(20.6, Quality.GOOD, T0, T0, 2.0)
    assert moved is not None
    assert moved.value == 20.6
    assert t.observe(20.6, Quality.GOOD, T0, T0, 61.0) is None
    again = t.observe(20.6, Quality.GOOD, T0, T0, 62.0)
    assert again is not None
    assert again.good


def test_without_deadband_any_change_is_published() -> None:
    t = _tracker()
    t.observe(1, Quality.GOOD, T0, T0, 0.0)
    assert t.observe(2, Quality.GOOD, T0, T0, 0.1) is not None
    assert t.observe(2, Quality.GOOD, T0, T0, 0.2) is None


def test_sentinel_nan_and_infinities_are_bad_without_a_value() -> None:
    t = _tracker(sentinels=[-3276.8])
    for raw in (-3276.8, math.nan, math.inf, -math.inf):
        t = _tracker(sentinels=[-3276.8])
        message = t.observe(raw, Quality.GOOD, T0, T0, 0.0)
        assert message is not None
        assert message.quality is Quality.BAD
        assert message.value is None
    good = t.observe(21.0, Quality.GOOD, T0, T0, 1.0)
    assert good is not None
    assert good.good


def test_link_failure_keeps_last_good_value_bad_and_stale_once() -> None:
    t = _tracker()
    t.observe(42, Quality.GOOD, T0, T0, 0.0)
    failed = t.fail(T0, 1.0)
    assert failed is not None
    assert (failed.value, failed.quality, failed.stale, failed.good) == (42, Quality.BAD, True, False)
    assert t.fail(T0, 2.0) is None
    back = t.observe(42, Quality.GOOD, T0, T0, 3.0)
    assert back is not None
    assert back.good


def test_link_quality_caps_every_point() -> None:
    t = _tracker()
    t.observe(1, Quality.GOOD, T0, T0, 0.0)
    capped = t.refresh(T0, 1.0, Quality.UNCERTAIN)
    assert capped is not None
    assert capped.quality is Quality.UNCERTAIN
    assert capped.value == 1
    assert worst(Quality.GOOD, Quality.BAD) is Quality.BAD


def test_frozen_heartbeat_turns_uncertain_then_bad_and_recovers_when_it_moves() -> None:
    watch = HeartbeatWatch(timeout_s=10)
    watch.feed(1, 0.0)
    watch.feed(2, 1.0)
    assert watch.quality(10.9) is Quality.GOOD
    assert watch.quality(11.0) is Quality.UNCERTAIN
    assert watch.quality(21.0) is Quality.BAD
    watch.feed(3, 22.0)
    assert watch.quality(22.0) is Quality.GOOD
