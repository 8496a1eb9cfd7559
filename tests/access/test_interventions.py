"""An acknowledged P1/P2 call opens an intervention; arrival from the phone page closes it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from chaufferie.alarms.operations import AlarmOperations
from chaufferie.config.vocabulary import (
    ActionKind,
    Channel,
    Context,
    NotificationRecord,
    NotificationStatus,
)
from chaufferie.historian.access_store import InterventionRecord
from tests.access.conftest import PINS, Site, acknowledge, csrf_of, path_of, sign_in_with_pin


async def test_ack_opens_intervention_and_arrival_from_the_phone_is_on_time(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))  # Monday 12 Jan 2026, 03:00 in Paris
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        done = await acknowledge(client, link, occ)
        assert "12/01 17:30" in done.text  # 8 working hours: the end of Monday
        await site.clock.advance(7 * 3600)  # 10:00 in Paris
        arrived = await client.post(f"/access/arrival/{occ}", data={"csrf": csrf_of(done.text)})
    assert arrived.status_code == 200
    assert "dans les délais" in arrived.text
    record = site.store.intervention(occ)
    assert record is not None
    assert record.deadline == datetime(2026, 1, 12, 16, 30, tzinfo=UTC)
    assert record.arrival == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert (record.late_days, record.penalty_eur) == (0, 0.0)
    [arrival] = [a for a in site.actions() if a.kind is ActionKind.ARRIVAL_ON_SITE]
    assert (arrival.context.user, arrival.context.channel) == ("martin", Channel.LINK)


async def test_the_technician_reopening_the_used_link_finds_the_arrival_button(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        await acknowledge(client, link, occ)
        again = await client.get(path_of(link))
    async with httpx.AsyncClient(base_url=site.base_url) as stranger:
        other = await stranger.get(path_of(link))
    assert again.status_code == 200
    assert 'id="arrived"' in again.text
    assert other.status_code == 410  # anyone else: the link was used


async def test_late_arrival_recorded_from_the_hmi_counts_days_and_penalty(site: Site) -> None:
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        await acknowledge(client, link, occ)
    await site.clock.advance(31 * 3600)  # Tuesday 10:00 in Paris: 16 h 30 late
    hmi = Context(origin="hmi", user="dubois", channel=Channel.HMI, address="127.0.0.1")
    record = await site.services.interventions.arrive(occ, hmi)
    assert record is not None
    assert record.arrival == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    assert (record.late_days, record.penalty_eur) == (1, 100.0)
    stored = site.store.list_interventions()
    assert [(r.occurrence_id, r.late_days) for r in stored] == [(occ, 1)]


async def test_low_priority_ack_opens_no_intervention(site: Site) -> None:
    occ = site.raise_alarm("CEN-PLN", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        done = await acknowledge(client, link, occ)
    assert done.status_code == 200
    assert "arrived" not in done.text
    assert site.store.intervention(occ) is None


async def test_an_oil_top_up_is_no_call_out_though_it_is_p2(site: Site) -> None:
    """FIO-APP (normal in a cold spell), SIL-BAS (the commune's chips) and FWD-PER (the city's
    IT) say ``call_out: false`` in the catalogue: their SMS opens no intervention; CHB-ALL, P2
    too, does."""
    now = site.clock.now()
    for code in ("FIO-APP", "SIL-BAS", "CHB-ALL"):
        occ = f"occurrence-of-{code}"
        sent = NotificationRecord(
            f"{occ}-sms", "sms", "tech-martin", NotificationStatus.SENT, now, occurrence_id=occ, code=code
        )
        await site.services.interventions.on_call(sent)
    assert [r.code for r in site.store.list_interventions()] == ["CHB-ALL"]
    assert [a.code for a in site.cfg.alarms if a.priority <= 2 and not a.calls_out] == [
        "SIL-BAS",
        "SIL-VID",
        "FIO-APP",
        "FWD-PER",
    ]


async def test_acknowledgement_from_the_hmi_opens_the_intervention_too(site: Site) -> None:
    occ = site.raise_alarm("FIO-DEF")
    hmi = Context(origin="hmi", user="bernard", channel=Channel.HMI, address="192.0.2.4")
    async with site.services:
        follower = asyncio.create_task(site.services.run())
        await AlarmOperations(site.engine).acknowledge(occ, hmi)
        try:
            record = await eventually(lambda: site.store.intervention(occ))
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
    assert (record.code, record.contact_id) == ("FIO-DEF", "tech-bernard")
    assert record.deadline == datetime(2026, 1, 12, 16, 30, tzinfo=UTC)


async def eventually(probe: Callable[[], InterventionRecord | None]) -> InterventionRecord:
    """What ``probe`` returns once it is not None (real time, short naps, at most 3 s)."""
    for _ in range(300):
        found = probe()
        if found is not None:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError("not found within 3 s")
