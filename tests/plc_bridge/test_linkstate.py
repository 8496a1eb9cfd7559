"""The link-state machine logs a loss once and a recovery once; backoff grows, is bounded, resets."""

from __future__ import annotations

import logging
import random

import pytest

from chaufferie.config.clock import VirtualClock
from chaufferie.config.vocabulary import LinkEvent, LinkState
from chaufferie.plc_bridge.linkstate import Backoff, LinkStateMachine, Trigger


def test_a_link_that_stays_down_while_retrying_logs_loss_once_and_recovery_once(
    clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[LinkEvent] = []
    machine = LinkStateMachine("boiler", clock, events.append)
    caplog.set_level(logging.INFO, logger="chaufferie.plc_bridge.linkstate")
    machine.fire(Trigger.CONNECTED, "connected")
    machine.fire(Trigger.LOST, "connection reset")
    for _ in range(5):
        machine.fire(Trigger.FAILED, "refused")
    machine.fire(Trigger.CONNECTED, "connected")
    assert [(e.previous, e.state) for e in events] == [
        (LinkState.CONNECTING, LinkState.UP),
        (LinkState.UP, LinkState.DOWN),
        (LinkState.DOWN, LinkState.UP),
    ]
    assert len(caplog.records) == 3
    assert "connection reset" in caplog.records[1].getMessage()


def test_degraded_and_recovered() -> None:
    events: list[LinkEvent] = []
    machine = LinkStateMachine("boiler", VirtualClock(), events.append)
    machine.fire(Trigger.CONNECTED, "ok")
    machine.fire(Trigger.DEGRADED, "heartbeat frozen")
    machine.fire(Trigger.DEGRADED, "heartbeat frozen")
    machine.fire(Trigger.RECOVERED, "ok")
    assert [e.state for e in events] == [LinkState.UP, LinkState.DEGRADED, LinkState.UP]


def test_backoff_grows_with_jitter_up_to_its_bound_and_resets() -> None:
    backoff = Backoff(1.0, 8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(6)]
    nominal = [1, 2, 4, 8, 8, 8]
    assert all(n / 2 <= d <= n for d, n in zip(delays, nominal, strict=True))
    assert len(set(delays)) == len(delays)  # jittered
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_backoff_refuses_nonsense_bounds() -> None:
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(5.0, 1.0)


def test_backoff_keeps_a_bounded_memory_of_its_waits_for_a_link_down_for_months() -> None:
    backoff = Backoff(1.0, 600.0, rng=random.Random(3))
    retries = 6 * 24 * 120  # a link down for four months, retried every ten minutes
    waits = [backoff.next_delay() for _ in range(retries)]
    kept = len(backoff.delays)
    assert 0 < kept <= 100  # the last few waits, not one entry per retry
    assert list(backoff.delays) == waits[-kept:]
    assert backoff.attempts == retries
