"""The site forwarder, as ``chaufferie run`` wires it, against a real central receiver on
loopback (SQLite and PostgreSQL central databases): everything reaches the central once, across
a receiver outage and a forwarder restarted after the central stored a batch whose answer it
never read; a busy receiver slows it down; samples trimmed before they were forwarded are
counted and raise FWD-PER; a receiver away too long raises COM-CEN; a site forwarding
nowhere keeps its data locally. Virtual time for the forwarder's pauses; the HTTP is real."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, select

from chaufferie.cli import main
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.forwarding import CentralReceiver, ForwardingSettings
from chaufferie.config.settings import PlantConfig, Retention
from chaufferie.config.vocabulary import SystemEvent
from chaufferie.historian import central_protocol as proto
from chaufferie.historian import schema
from chaufferie.historian.central_receiver import CentralStore, Receiver
from chaufferie.historian.central_schema import central_batches
from chaufferie.historian.forwarder import DOWN_SIGNAL, LOSS_SIGNAL, Forwarder, forward_status
from chaufferie.historian.store import Store
from chaufferie.wiring import Runtime, build_runtime
from tests.historian.central_support import Central, serve
from tests.historian.support import alarm, config_file, every, tag

SECRETS = {
    "CHAUFFERIE_SECRET_KEY": "forwarder-test-signing-key-0123456789",
    "CHAUFFERIE_OPCUA_USER": "chaufferie",
    "CHAUFFERIE_OPCUA_PASSWORD": "forwarder-test-opcua",
}


def _forwarding(cfg: PlantConfig, *urls: str, **settings: float) -> PlantConfig:
    receivers = tuple(CentralReceiver(name=f"ville{i}", url=url) for i, url in enumerate(urls))
    forwarding = ForwardingSettings(receivers=receivers, batch_rows=100, interval_s=10.0, **settings)
    return cfg.model_copy(update={"forwarding": forwarding})


def _runtime(cfg: PlantConfig, central: Central, clock: VirtualClock) -> Runtime:
    env = {**SECRETS, proto.SITE_KEY_ENV: proto.private_pem(central.key)}
    return build_runtime(cfg, bus=Bus(), clock=clock, environ=env, with_hmi=False)


async def _write(runtime: Runtime, n: int, clock: VirtualClock, start: float = 0.0) -> None:
    for i, t in enumerate(every(clock.now() + timedelta(seconds=start), 1.0, n)):
        runtime.historian.accept(tag("buffer.temp_top", 60.0 + (i % 100) * 0.25, t))
    runtime.historian.accept(alarm(clock.now()))
    await runtime.historian.flush()


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        samples = conn.execute(select(func.count()).select_from(schema.samples)).scalar_one()
        alarms = conn.execute(select(func.count()).select_from(schema.alarm_transitions)).scalar_one()
    return int(samples + alarms)


def _keys(engine: Engine) -> list[int]:
    """Every (site, seq) the database holds: the seqs of samples and alarm transitions."""
    with engine.connect() as conn:
        seqs = list(conn.execute(select(schema.samples.c.seq)).scalars())
        seqs += list(conn.execute(select(schema.alarm_transitions.c.seq)).scalars())
    return sorted(seqs)


async def _until(
    check: Callable[[], bool], clock: VirtualClock, step_s: float = 5.0, limit: int = 400
) -> None:
    """Advance the virtual clock until ``check()``; the loopback I/O gets real moments between."""
    for _ in range(limit):
        if check():
            return
        await clock.advance(step_s)
        await asyncio.sleep(0.02)
    raise AssertionError("the condition was not met")


async def test_everything_reaches_the_central_once_across_an_outage_and_a_lost_answer(
    central: Central, config: PlantConfig, clock: VirtualClock
) -> None:
    spare_runner, spare_url = await serve(Receiver(CentralStore(central.engine, "spare")).app())
    await spare_runner.cleanup()  # a port where nothing answers yet: the receiver that comes and goes
    spare_port = int(spare_url.rsplit(":", 1)[1])
    cfg = _forwarding(config, spare_url)
    runtime = _runtime(cfg, central, clock)
    assert runtime.forwarder is not None
    assert "forwarder" in runtime.system.health()["services"]
    async with runtime.historian, runtime.forwarder as forwarder:
        await _write(runtime, 450, clock)
        site_rows = _keys(runtime.historian.engine)
        task = asyncio.create_task(forwarder.run())
        await _until(
            lambda: forward_status(runtime.historian.engine, "joucas")[0].last_error is not None, clock
        )
        assert _stored(central.engine) == 0  # the receiver is away: nothing sent, nothing lost
        runner, _ = await serve(Receiver(CentralStore(central.engine, "back")).app(), port=spare_port)
        await _until(lambda: _stored(central.engine) == len(site_rows), clock)
        # the forwarder restarted (e.g. the site's PC rebooted) after the central stored a batch
        # whose answer it never read: the next batch starts after what the central has
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await _write(runtime, 250, clock, start=3600)
        with runtime.historian.engine.begin() as conn:  # the cursor as the lost answer left it
            conn.execute(schema.metadata.tables["forward_cursors"].update().values(acked_seq=site_rows[100]))
        restarted = Forwarder(cfg, runtime.historian.engine, Bus(), clock, central.key)
        async with restarted:
            task = asyncio.create_task(restarted.run())
            all_rows = _keys(runtime.historian.engine)
            await _until(lambda: _stored(central.engine) == len(all_rows), clock)
            await _until(lambda: forward_status(runtime.historian.engine, "joucas")[0].backlog == 0, clock)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()
    assert _keys(central.engine) == all_rows  # every record once, nothing else
    with central.engine.connect() as conn:
        batches = conn.execute(select(central_batches.c.first_seq, central_batches.c.last_seq)).all()
    assert len(batches) >= len(all_rows) // 100
    assert all(a.last_seq < b.first_seq for a, b in zip(sorted(batches), sorted(batches)[1:], strict=False))
    [state] = forward_status(runtime.historian.engine, "joucas")
    assert (state.acked_seq, state.lost, state.backlog) == (all_rows[-1], 0, 0)
    runtime.historian.engine.dispose()


async def test_a_busy_receiver_is_waited_for_as_it_asks(
    central: Central, config: PlantConfig, clock: VirtualClock
) -> None:
    busy = Receiver(CentralStore(central.engine, "busy"), workers=0)  # saturated: 503 Retry-After
    runner, url = await serve(busy.app())
    cfg = _forwarding(config, url)
    runtime = _runtime(cfg, central, clock)
    assert runtime.forwarder is not None
    async with runtime.historian, runtime.forwarder as forwarder:
        await _write(runtime, 50, clock)
        link = forwarder.links[0]
        assert await forwarder.round(link) == 2.0  # the receiver's Retry-After, not our interval
        assert _stored(central.engine) == 0
    await runner.cleanup()
    runtime.historian.engine.dispose()


async def test_samples_trimmed_before_forwarding_are_counted_and_alarmed(
    central: Central,
    config: PlantConfig,
    clock: VirtualClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runner, url = await serve(Receiver(CentralStore(central.engine, "x")).app())
    await runner.cleanup()  # never answers
    cfg = _forwarding(config, url, down_after_s=600.0)
    runtime = _runtime(cfg, central, clock)
    assert runtime.forwarder is not None
    events: list[SystemEvent] = []
    sub = runtime.bus.subscribe(SystemEvent, name="test")

    def raised(signal: str) -> bool:
        events.extend(m for m in sub.drain() if isinstance(m, SystemEvent))
        return any(e.signal == signal and e.active for e in events)

    async with runtime.historian, runtime.forwarder as forwarder:
        await _write(runtime, 120, clock)
        task = asyncio.create_task(forwarder.run())
        await _until(lambda: raised(DOWN_SIGNAL), clock, step_s=60.0)
        store = Store(runtime.historian.engine, "joucas")
        store.apply_retention(clock.now() + timedelta(days=2), Retention(raw_days=1))
        await _until(lambda: raised(LOSS_SIGNAL), clock, step_s=60.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [state] = forward_status(runtime.historian.engine, "joucas")
    assert state.lost == 120
    loss = next(e for e in events if e.signal == LOSS_SIGNAL)
    assert "120" in loss.detail_fr
    # the administrator's view of it: chaufferie forward status, exit 1 while records are lost
    raw = yaml.safe_load(config_file(cfg, tmp_path).read_text())
    raw["forwarding"] = {"receivers": [{"name": "ville0", "url": url}]}
    (tmp_path / "plant.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    assert main(["forward", "status", "--config", str(tmp_path / "plant.yaml")]) == 1
    said = capsys.readouterr().out
    assert ("ville0" in said, "lost=120" in said, "unreachable" in said) == (True, True, True)
    runtime.historian.engine.dispose()


def test_a_site_without_receivers_keeps_its_data_locally(
    central: Central, config: PlantConfig, clock: VirtualClock
) -> None:
    runtime = _runtime(config, central, clock)
    assert runtime.forwarder is None
    assert "forwarder" not in runtime.system.health()["services"]
    runtime.historian.engine.dispose()


def test_a_forwarding_site_without_its_key_does_not_start(config: PlantConfig, clock: VirtualClock) -> None:
    from chaufferie.alarms.ack_links import MissingSecretError

    with pytest.raises(MissingSecretError, match=proto.SITE_KEY_ENV):
        build_runtime(
            _forwarding(config, "http://127.0.0.1:9"), bus=Bus(), clock=clock, environ=SECRETS, with_hmi=False
        )
