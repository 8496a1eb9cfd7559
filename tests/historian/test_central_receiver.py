"""The central receiver, a real aiohttp server on loopback over a real database (SQLite and
PostgreSQL): a signed batch is stored once and answered with the last sequence stored; a batch
signed by site A claiming site B, a replayed batch, a batch invalid by the schema, an oversized
batch, an unknown or revoked site are each refused with their reason, nothing stored, a trace
kept and a log line written; two receivers on one PostgreSQL racing one batch store it once."""

from __future__ import annotations

import asyncio
import logging
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine, func, select

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.historian import central_protocol as proto
from chaufferie.historian import schema
from chaufferie.historian.central_protocol import Refusal
from chaufferie.historian.central_receiver import CentralStore, Receiver
from chaufferie.historian.central_registry import register_site, revoke_site
from chaufferie.historian.central_schema import central_batches, central_refusals
from chaufferie.historian.database import make_engine, migrate
from chaufferie.historian.exchange import export_batch
from chaufferie.historian.writer import HistorianWriter
from tests.historian.central_support import SITE, Central, serve
from tests.historian.pgserver import PostgresServer
from tests.historian.support import alarm, every, tag
from tests.support.smtp_server import self_signed_cert


async def _site_history(cfg: PlantConfig, bus: Bus, clock: VirtualClock, n: int = 300) -> Engine:
    async with HistorianWriter(cfg, bus, clock) as writer:
        for i, t in enumerate(every(clock.now(), 20.0, n)):
            writer.accept(tag("buffer.temp_top", 70.0 + i * 0.1, t))
        writer.accept(alarm(clock.now()))
        await writer.flush()
    return writer.engine


async def _post(central: Central, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{central.url}{proto.BATCHES_PATH}", data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


def _count(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (schema.samples, schema.alarm_transitions, central_batches, central_refusals)
        }


async def test_a_signed_batch_is_stored_once_and_answered_with_the_last_sequence(
    central: Central, config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    site = await _site_history(config, bus, clock)
    body = export_batch(site, config, rollups=False)
    status, answer = await _post(central, body, central.headers(body))
    with site.connect() as conn:
        last = conn.execute(select(schema.site_sequences.c.last_seq)).scalar_one()
        stored_at_site = conn.execute(select(func.count()).select_from(schema.samples)).scalar_one()
    assert (status, answer["last_seq"], answer["rows"]) == (200, last, stored_at_site + 1)
    counts = _count(central.engine)
    assert (counts["samples"], counts["alarm_transitions"], counts["central_batches"]) == (
        stored_at_site,
        1,
        1,
    )
    with central.engine.connect() as conn:  # the central's own hour rollups, from the samples it got
        counted = conn.execute(select(func.sum(schema.rollup_hour.c.count))).scalar_one()
    assert counted == stored_at_site
    # the same batch again, freshly signed: a replay, refused with what is stored; nothing twice
    status, answer = await _post(central, body, central.headers(body))
    assert (status, answer["reason"], answer["last_seq"]) == (409, Refusal.REPLAYED, last)
    assert _count(central.engine) | {"central_refusals": 0} == counts
    # the site asks where to resume
    async with aiohttp.ClientSession() as session:
        path = proto.LAST_SEQ_PATH.format(site=SITE)
        async with session.get(f"{central.url}{path}", headers=central.headers(b"")) as response:
            assert (response.status, (await response.json())["last_seq"]) == (200, last)
    site.dispose()


@pytest.mark.parametrize(
    "attack",
    [
        "signed by A claiming B",
        "replayed request",
        "invalid schema",
        "oversized",
        "unknown site",
        "revoked site",
    ],
)
async def test_an_attack_is_refused_with_its_reason_nothing_stored_and_logged(
    attack: str,
    central: Central,
    config: PlantConfig,
    bus: Bus,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = await _site_history(config, bus, clock, n=40)
    body = export_batch(site, config, rollups=False)
    headers = central.headers(body)
    expected = {
        "signed by A claiming B": (403, Refusal.SITE_MISMATCH),
        "replayed request": (409, Refusal.REPLAYED),
        "invalid schema": (422, Refusal.INVALID),
        "oversized": (413, Refusal.OVERSIZED),
        "unknown site": (403, Refusal.UNKNOWN_SITE),
        "revoked site": (403, Refusal.REVOKED_SITE),
    }[attack]
    if attack == "signed by A claiming B":  # site A (registered, its own key) sends B's batch
        other = proto.new_private_key()
        register_site(
            central.engine, "kerlann", "Kerlann", "plant", proto.public_pem(other.public_key()), _now()
        )
        headers = central.headers(body, site="kerlann", key=other)
    elif attack == "replayed request":  # captured and sent again, byte for byte, within the window
        assert (await _post(central, body, headers))[0] == 200
    elif attack == "invalid schema":  # a Sample whose quality the profile does not know
        body = body.replace(b'quality="good"', b'quality="excellent"', 1)
        headers = central.headers(body)
    elif attack == "oversized":
        body = body + b" " * 2_000_001
        headers = central.headers(body)
    elif attack == "unknown site":
        headers = central.headers(body, site="nowhere", key=proto.new_private_key())
    elif attack == "revoked site":
        revoke_site(central.engine, SITE, _now())
    before = _count(central.engine)
    with caplog.at_level(logging.WARNING, logger="chaufferie.historian.central_receiver"):
        status, answer = await _post(central, body, headers)
    assert (status, answer["reason"]) == expected
    assert answer["message"]
    after = _count(central.engine)
    assert after == before | {"central_refusals": before["central_refusals"] + 1}
    with central.engine.connect() as conn:
        trace = conn.execute(select(central_refusals)).mappings().all()[-1]
    assert (trace["reason"], trace["remote"]) == (expected[1].value, "127.0.0.1")
    assert f"refused {expected[1].value}" in caplog.text
    site.dispose()


async def test_a_bad_or_stale_signature_is_refused(
    central: Central, config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    site = await _site_history(config, bus, clock, n=10)
    body = export_batch(site, config, rollups=False)
    forged = central.headers(body, key=proto.new_private_key())
    assert (await _post(central, body, forged))[1]["reason"] == Refusal.BAD_SIGNATURE
    stale = proto.signed_headers(central.key, SITE, int(time.time()) - proto.MAX_SKEW_S - 60, body)
    assert (await _post(central, body, stale))[1]["reason"] == Refusal.STALE
    assert _count(central.engine)["samples"] == 0
    site.dispose()


@pytest.mark.postgres
async def test_two_receivers_on_one_database_racing_one_batch_store_it_once(
    postgres_server: PostgresServer, config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    # several receivers behind one load balancer share one PostgreSQL database (docs/central.md)
    engine = make_engine(postgres_server.url(postgres_server.create_database()))
    migrate(engine)
    key = proto.new_private_key()
    register_site(engine, SITE, "Joucas", "plant", proto.public_pem(key.public_key()), _now())
    runners = [await serve(Receiver(CentralStore(engine, f"r{i}")).app()) for i in range(2)]
    site = await _site_history(config, bus, clock, n=2000)
    body = export_batch(site, config, rollups=False)
    try:
        centrals = [Central(engine, url, key) for _, url in runners]
        results = await asyncio.gather(*(_post(c, body, c.headers(body)) for c in centrals for _ in range(2)))
    finally:
        for runner, _ in runners:
            await runner.cleanup()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409, 409, 409]
    with site.connect() as conn:
        expected = conn.execute(select(func.count()).select_from(schema.samples)).scalar_one()
    assert _count(engine)["samples"] == expected
    assert _count(engine)["central_batches"] == 1
    site.dispose()
    engine.dispose()


async def test_the_receiver_speaks_https_with_the_servers_certificate(
    central: Central, config: PlantConfig, bus: Bus, clock: VirtualClock, tmp_path: Path
) -> None:
    cert, key = self_signed_cert(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    runner, url = await serve(Receiver(CentralStore(central.engine, "tls")).app(), server)
    site = await _site_history(config, bus, clock, n=10)
    body = export_batch(site, config, rollups=False)
    client = ssl.create_default_context(cafile=str(cert))
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{url}{proto.BATCHES_PATH}", data=body, headers=central.headers(body), ssl=client
            ) as r,
        ):
            assert r.status == 200
        with pytest.raises(aiohttp.ClientConnectorCertificateError):  # a client that does not trust it
            async with aiohttp.ClientSession() as session:
                await session.get(f"{url}/healthz", ssl=ssl.create_default_context())
    finally:
        await runner.cleanup()
    site.dispose()


def test_the_central_command_registers_lists_and_revokes_sites(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"

    def central(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "chaufferie.cli", "central", "--db", db, *args]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)

    keys = central("keygen", "--public-out", str(tmp_path / "joucas.pub"))
    assert keys.returncode == 0
    private = (
        keys.stdout.split("-----END PRIVATE KEY-----")[0].split("\n", 1)[1] + "-----END PRIVATE KEY-----\n"
    )
    proto.load_private_key({proto.SITE_KEY_ENV: private})  # the printed private key loads
    assert (
        central(
            "site", "add", "joucas", "--name", "Joucas", "--public-key", str(tmp_path / "joucas.pub")
        ).returncode
        == 0
    )
    assert central("site", "add", "ecole-b", "--kind", "meters").returncode == 0
    refused = central("site", "add", "kerlann")  # a plant site needs its key
    assert (refused.returncode, "public key" in refused.stderr, "Traceback" in refused.stderr) == (
        2,
        True,
        False,
    )
    assert central("site", "revoke", "joucas").returncode == 0
    listed = central("site", "list").stdout.splitlines()
    assert listed[0].split("\t")[:3] == ["ecole-b", "meters", "active"]
    assert listed[1].split("\t")[2].startswith("revoked")
    assert central("site", "revoke", "nowhere").returncode == 2
    no_db = subprocess.run(
        [sys.executable, "-m", "chaufferie.cli", "central", "site", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin"},
    )
    assert (no_db.returncode, "CHAUFFERIE_CENTRAL_DB" in no_db.stderr) == (2, True)


def _now() -> datetime:
    return datetime.now(UTC)
