"""City-wide load test: 100 sites × 200 points at 10 s into one central PostgreSQL (issue 20).

Everything real on loopback: a throw-away PostgreSQL, ``chaufferie central serve`` in a child
process (its own core), and in this process 100 site historians (SQLite files) each with the
real :class:`~chaufferie.historian.forwarder.Forwarder` signing with its own key.

1. **Capacity**: every site's first 2 minutes (12 steps × 200 points) as one signed batch,
   built beforehand, all posted at once (busy answers waited for as asked): the receiver's
   ingest when saturated. Building the batches is the sites' work, each on its own machine in
   a city; here 100 sites share this process, so it is kept out of the measure.
2. **Sustained load**: for ``RUN_S`` seconds each site writes its 200 points every 10 s
   (2 000 samples/s offered, staggered), while site 0, cut off for a simulated hour, comes back
   with an hour of backlog (360 × 200 samples) at the start (``catch_up_s``: until its cursor
   reaches what it held, watched on its own), and site 1's forwarder is killed after the
   central stored one of its batches but before it read the answer (the answer lost: the
   hard case of a restart mid-batch), then started anew: it must resume from the central's
   ``last_seq``, not from its own cursor (``restart_unacknowledged_rows``: how far behind
   the central its cursor was). Each phase prints the cores busy in this process (the sites),
   the receiver's and PostgreSQL's (``/proc``), which tells what bounds the figure.
3. **Counts**: each site's samples by sequence number against the central's, after every
   forwarder drained: ``records_lost`` (the site has, the central lacks), ``records_duplicated``
   (rows of one site + sequence beyond the first).
4. **Baseline**: the same rows — the central's samples, read out in COPY's binary format —
   loaded by a raw ``COPY`` into a fresh database on the same server, in the same run: the
   ceiling of the database alone.

The PostgreSQL is the tests' (fsync off): figures compare the receiver with the COPY baseline
on the same server, not with a production disk. Last line: one JSON object with the keys
``central_samples_per_s`` (the receiver's sustained ingest when fed, phase 1), ``sites``,
``records_lost``, ``records_duplicated``, ``catch_up_s``, ``copy_samples_per_s``,
``central_vs_copy``, ``end_to_end_samples_per_s`` (phase 2, from the sites' writes to the
central's rows: here bounded by the 100 simulated sites sharing one process and one core),
``mean_batch_rows`` (phase 2) and ``restart_unacknowledged_rows``.
``BENCH_SITES`` and ``BENCH_RUN_S`` shrink it for a quick check.
Run: ``.venv/bin/python bench/central.py`` (about 5 minutes on a 2-core shared machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from chaufferie.config.bus import Bus  # noqa: E402
from chaufferie.config.clock import RealClock  # noqa: E402
from chaufferie.config.forwarding import CentralReceiver, ForwardingSettings  # noqa: E402
from chaufferie.config.loader import load_config  # noqa: E402
from chaufferie.config.settings import PlantConfig, Site  # noqa: E402
from chaufferie.historian import central_protocol as proto  # noqa: E402
from chaufferie.historian.central_registry import register_site  # noqa: E402
from chaufferie.historian.database import (  # noqa: E402
    ensure_month_partitions,
    make_engine,
    migrate,
    month_start,
)
from chaufferie.historian.exchange import export_batch  # noqa: E402
from chaufferie.historian.forwarder import Forwarder, forward_status  # noqa: E402
from chaufferie.historian.store import Store  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.historian.pgserver import start_postgres  # noqa: E402

SITES = int(os.environ.get("BENCH_SITES", "100"))
POINTS = 200
STEP_S = 10
BACKLOG_STEPS = 12
CUT_OFF_STEPS = 360
RUN_S = float(os.environ.get("BENCH_RUN_S", "60"))
START = datetime(2026, 12, 1, tzinfo=UTC)


def machine() -> str:
    cores = f"{os.cpu_count()} cores (shared)"
    return f"{platform.node()} {platform.machine()} {cores}, Python {platform.python_version()}"


class SiteDb:
    """One simulated site: its historian (SQLite), sequence, clock of samples and forwarder."""

    def __init__(self, number: int, template: Path, folder: Path, base: PlantConfig, url: str) -> None:
        self.id = f"site{number:03d}"
        path = folder / f"{self.id}.db"
        shutil.copy(template, path)
        self.engine = make_engine(f"sqlite:///{path}")
        self.store = Store(self.engine, self.id)
        self.seq = 0
        self.steps = 0
        self.key = proto.new_private_key()
        forwarding = ForwardingSettings(
            receivers=(CentralReceiver(name="ville", url=url),),
            batch_rows=4_000,
            interval_s=1.0,
            retry_max_s=5.0,
        )
        self.cfg = base.model_copy(
            update={"site": Site(id=self.id, name=f"Site {number}"), "forwarding": forwarding}
        )
        self.task: asyncio.Task[None] | None = None
        self.forwarder: Forwarder | None = None

    def write_steps(self, count: int) -> None:
        rows: list[Any] = []
        for _ in range(count):
            t = START + timedelta(seconds=STEP_S * self.steps)
            self.steps += 1
            for p in range(POINTS):
                self.seq += 1
                value = float((self.steps * 7 + p) % 1000) / 10.0
                rows.append(
                    (
                        "samples",
                        {"point": f"p{p:03d}", "time": t, "value": value, "quality": 0, "seq": self.seq},
                    )
                )
        self.store.write(rows)

    async def start(self) -> None:
        self.forwarder = Forwarder(self.cfg, self.engine, Bus(), RealClock(), self.key)
        await self.forwarder.__aenter__()
        self.task = asyncio.create_task(self.forwarder.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.forwarder is not None:
            await self.forwarder.__aexit__(None, None, None)

    def backlog(self) -> int:
        return forward_status(self.engine, self.id)[0].backlog


def central_counts(engine: Engine) -> dict[str, tuple[int, int]]:
    """Per site: (rows, distinct sequence numbers) of samples in the central database."""
    query = text(
        "SELECT p.site_id, count(*), count(DISTINCT s.seq) FROM samples s JOIN points p ON p.id = s.point_id "
        "GROUP BY p.site_id"
    )
    with engine.connect() as conn:
        return {site: (int(n), int(d)) for site, n, d in conn.execute(query)}


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM samples")).scalar_one())


def copy_baseline(central_url: str, target_url: str, months: set[datetime]) -> tuple[int, float]:
    """The central's own sample rows, read out in COPY's binary format, loaded by a raw ``COPY``
    into a fresh historian database on the same server: (rows, rows per second of the load).

    The rows are serialised beforehand, so the time is the database's alone: its ceiling."""
    source = make_engine(central_url)
    raw = source.raw_connection()
    try:
        cursor = raw.cursor()
        points = b"".join(copy_out(cursor, "COPY points TO STDOUT (FORMAT binary)"))
        rows = copy_out(
            cursor, "COPY (SELECT point_id, time, value, quality, seq FROM samples) TO STDOUT (FORMAT binary)"
        )
        count = int(cursor.execute("SELECT count(*) FROM samples").fetchone()[0])
    finally:
        raw.close()
        source.dispose()
    target = make_engine(target_url)
    migrate(target)
    with target.begin() as conn:
        ensure_month_partitions(conn, months)
    raw = target.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy("COPY points FROM STDIN (FORMAT binary)") as copy:
            copy.write(points)
        raw.commit()
        began = time.perf_counter()
        with cursor.copy(
            "COPY samples (point_id, time, value, quality, seq) FROM STDIN (FORMAT binary)"
        ) as copy:
            for chunk in rows:
                copy.write(chunk)
        raw.commit()
        elapsed = time.perf_counter() - began
        loaded = int(cursor.execute("SELECT count(*) FROM samples").fetchone()[0])
    finally:
        raw.close()
        target.dispose()
    assert loaded == count, (loaded, count)
    return count, count / elapsed


def copy_out(cursor: Any, statement: str) -> list[bytes]:
    """The blocks of a ``COPY … TO STDOUT``, in memory."""
    with cursor.copy(statement) as copy:
        return [bytes(block) for block in copy]


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def drained(sites: list[SiteDb], limit_s: float = 900.0) -> float:
    """Wait until every site's backlog is 0; the moment (perf_counter) it was."""
    deadline = time.perf_counter() + limit_s
    while True:
        backlogs = await asyncio.gather(*(asyncio.to_thread(s.backlog) for s in sites))
        if not any(backlogs):
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"not drained: {sum(backlogs)} rows waiting")
        await asyncio.sleep(2.0)


async def run(url: str, central: Engine, sites: list[SiteDb], pids: tuple[int, int]) -> dict[str, Any]:
    # 1. capacity: the receiver fed as fast as it takes, every site's 2-minute backlog in one
    #    signed batch, built beforehand (a site exports on its own machine; here all 100 share
    #    this process, which would measure the bench rather than the central)
    for site in sites:
        site.write_steps(BACKLOG_STEPS)
    bodies = [(s, export_batch(s.engine, s.cfg, from_seq=1, to_seq=s.seq, rollups=False)) for s in sites[1:]]
    before = stored(central)
    began, cpu = time.perf_counter(), CpuUse(*pids)
    async with aiohttp.ClientSession() as session:
        busy = sum(await asyncio.gather(*(post_until_stored(session, url, s, body) for s, body in bodies)))
    elapsed = time.perf_counter() - began
    capacity = (stored(central) - before) / elapsed
    print(
        f"  capacity: {capacity:8.0f} samples/s ({len(bodies)} batches of {BACKLOG_STEPS * POINTS} samples"
        f" at once, {busy} answered busy; {cpu.report(elapsed)})"
    )
    await asyncio.gather(*(s.start() for s in sites[1:]))
    await drained(sites[1:])
    # 2. sustained load with site 0 back after an hour cut off, site 1 killed mid-batch
    sites[0].write_steps(CUT_OFF_STEPS)
    before, batches_before = stored(central), batch_count(central)
    began, cpu = time.perf_counter(), CpuUse(*pids)
    await sites[0].start()
    catch_up = asyncio.create_task(caught_up(sites[0], sites[0].seq, began))
    kill: asyncio.Task[tuple[int, int]] | None = None
    tick = 0
    while time.perf_counter() - began < RUN_S:
        for site in sites[tick % STEP_S :: STEP_S]:  # a tenth of the sites each second: 2 000 samples/s
            site.write_steps(1)
        tick += 1
        if kill is None and time.perf_counter() - began > RUN_S / 3:
            kill = asyncio.create_task(kill_after_stored(sites[1], central))
        await asyncio.sleep(max(0.0, began + tick - time.perf_counter()))
    assert kill is not None
    central_last, cursor = await kill
    done = await drained(sites)
    elapsed = done - began
    catch_up_s = await catch_up
    rows, batches = stored(central) - before, batch_count(central) - batches_before
    sustained = rows / elapsed
    print(
        f"  sustained: {sustained:8.0f} samples/s stored"
        f" (offered {POINTS * SITES / STEP_S:.0f}/s + the cut-off hour: {rows} rows in {elapsed:.0f} s,"
        f" {batches} batches of {rows / batches:.0f} rows on average; {cpu.report(elapsed)})"
    )
    print(
        f"  site 0 caught up an hour ({CUT_OFF_STEPS * POINTS} samples) in {catch_up_s:.1f} s;"
        f" site 1 killed after the central stored its batch up to {central_last},"
        f" its cursor at {cursor} ({central_last - cursor} rows stored but never acknowledged), restarted"
    )
    await asyncio.gather(*(s.stop() for s in sites))
    return {
        "capacity": capacity,
        "sustained": sustained,
        "catch_up_s": catch_up_s,
        "unacknowledged": central_last - cursor,
        "batch_rows": rows / batches,
    }


class CpuUse:
    """Processor time used from now on by this process (the sites), the receiver's process and
    PostgreSQL's (its postmaster and the backends it started), read from ``/proc``."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, receiver_pid: int, postmaster_pid: int) -> None:
        self.pids = receiver_pid, postmaster_pid
        self.start = self._now()

    def _now(self) -> tuple[float, float, float]:
        receiver, postmaster = self.pids
        postgres = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, ppid, used = self._stat(stat)
            except (OSError, IndexError, ValueError):
                continue  # a process gone meanwhile
            if postmaster in (pid, ppid):
                postgres += used
        return time.process_time(), self._stat(Path(f"/proc/{receiver}/stat"))[2], postgres

    def _stat(self, path: Path) -> tuple[int, int, float]:
        """(pid, parent pid, seconds of processor time: utime + stime) of one ``/proc/*/stat``."""
        head, tail = path.read_text().rsplit(")", 1)
        fields = tail.split()
        return int(head.split(" (", 1)[0]), int(fields[1]), (int(fields[11]) + int(fields[12])) / self.TICK

    def report(self, elapsed: float) -> str:
        now = self._now()
        sites, receiver, postgres = ((b - a) / elapsed for a, b in zip(self.start, now, strict=True))
        return f"cores busy: sites {sites:.2f}, receiver {receiver:.2f}, PostgreSQL {postgres:.2f}"


def postmaster_pid(data_dir: Path) -> int:
    """The PostgreSQL server's process (first line of its ``postmaster.pid``)."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def batch_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM central_batches")).scalar_one())


async def caught_up(site: SiteDb, last: int, began: float) -> float:
    """Seconds from ``began`` until ``site``'s cursor reaches ``last`` (polled every 0.5 s)."""
    while True:  # the cursor is in the site's database: nothing to wait on but a poll
        if (await asyncio.to_thread(forward_status, site.engine, site.id))[0].acked_seq >= last:
            return time.perf_counter() - began
        await asyncio.sleep(0.5)


async def post_until_stored(session: aiohttp.ClientSession, url: str, site: SiteDb, body: bytes) -> int:
    """Post ``body`` until the receiver stores it, waiting as it asks; how many times it was busy."""
    busy = 0
    while True:
        headers = proto.signed_headers(site.key, site.id, int(time.time()), body)
        async with session.post(f"{url}{proto.BATCHES_PATH}", data=body, headers=headers) as response:
            if response.status == 200:
                return busy
            if response.status != 503:
                raise RuntimeError(f"{site.id}: {response.status} {await response.text()}")
            busy += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))


async def kill_after_stored(site: SiteDb, central: Engine) -> tuple[int, int]:
    """Cancel ``site``'s forwarder once the central stored one of its batches but before the
    forwarder read the answer (the answer lost on the way), then start a new forwarder, which
    must resume right after what the central kept. (The central's last sequence for the site,
    the site's cursor) at the kill."""
    forwarder = site.forwarder
    assert forwarder is not None
    answered = asyncio.Event()
    original = forwarder._post

    async def posting(link: Any, body: bytes) -> Any:
        answer = await original(link, body)
        if answer[0] == 200:
            answered.set()
            await asyncio.Event().wait()  # the answer never reaches the forwarder: cancelled here
        return answer

    forwarder._post = posting  # type: ignore[method-assign]
    site.write_steps(30)  # enough for a batch of its own
    await asyncio.wait_for(answered.wait(), 120)
    with central.connect() as conn:
        central_last = int(
            conn.execute(
                text("SELECT last_seq FROM site_sequences WHERE site_id = :s"), {"s": site.id}
            ).scalar_one()
        )
    cursor = (await asyncio.to_thread(forward_status, site.engine, site.id))[0].acked_seq
    await site.stop()
    await site.start()
    return central_last, cursor


def main() -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pg = start_postgres(free_port())
        proc = None
        try:
            central_url = pg.url(pg.create_database())
            central = make_engine(central_url)
            migrate(central)
            template = tmp / "template.db"
            template_engine = make_engine(f"sqlite:///{template}")
            migrate(template_engine)
            template_engine.dispose()  # its WAL checkpointed into the file copied for each site
            base = load_config(data_dir=str(tmp / "data"))
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            sites = [SiteDb(i, template, tmp, base, url) for i in range(SITES)]
            for site in sites:
                register_site(
                    central,
                    site.id,
                    site.id,
                    "plant",
                    proto.public_pem(site.key.public_key()),
                    datetime.now(UTC),
                )
            log = (tmp / "central.log").open("wb")
            env = {**os.environ, "CHAUFFERIE_CENTRAL_DB": central_url}
            command = [
                sys.executable,
                "-m",
                "chaufferie.cli",
                "central",
                "serve",
                "--port",
                str(port),
                "--workers",
                "4",
            ]
            proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            wait_http(f"{url}/healthz", proc)
            figures = asyncio.run(run(url, central, sites, (proc.pid, postmaster_pid(pg.data_dir))))
            counts = central_counts(central)
            lost = duplicated = 0
            for site in sites:
                rows, distinct = counts.get(site.id, (0, 0))
                lost += site.seq - distinct
                duplicated += rows - distinct
            total = stored(central)
            print(f"  records: {total} stored, {lost} lost, {duplicated} duplicated")
            central.dispose()
            last_step = START + timedelta(seconds=STEP_S * max(s.steps for s in sites))
            months = {month_start(START), month_start(last_step)}
            copied, copy_rate = copy_baseline(central_url, pg.url(pg.create_database()), months)
            print(
                f"  COPY baseline: {copy_rate:8.0f} samples/s (the central's {copied} rows, the same server)"
            )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=15)
            pg.stop()
    result = {
        "machine": machine(),
        "sites": SITES,
        "points_per_site": POINTS,
        "offered_samples_per_s": POINTS * SITES / STEP_S,
        "central_samples_per_s": round(figures["capacity"]),
        "end_to_end_samples_per_s": round(figures["sustained"]),
        "records_lost": lost,
        "records_duplicated": duplicated,
        "catch_up_s": round(figures["catch_up_s"], 1),
        "restart_unacknowledged_rows": figures["unacknowledged"],
        "mean_batch_rows": round(figures["batch_rows"]),
        "copy_samples_per_s": round(copy_rate),
        "central_vs_copy": round(figures["capacity"] / copy_rate, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
