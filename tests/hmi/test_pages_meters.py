"""The logbook's meters card: the suspected replacement listed, confirmed by the agent, a manual
reading below the previous one refused, each audited (issue 19, item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nicegui import ui
from sqlalchemy import Engine, insert, select

from chaufferie.config.vocabulary import ActionKind, ActionResult, OperatorAction
from chaufferie.historian import schema
from chaufferie.historian.meter_schema import meter_replacements
from chaufferie.historian.meters import MeterLog
from chaufferie.historian.readings import point_id
from chaufferie.hmi.meters import HmiMeters
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import login

PATIENCE = 50
SWAP_HOUR = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)
"""The meter was replaced during this hour (01:00–02:00 in Paris)."""


def _replaced_meter(services: HmiServices, plant_db: Engine) -> None:
    """Two days of hour rollups of ``meter.energy``: 10 kWh an hour from 1 000, then the new
    meter from 3 (the drop is in the hour starting at :data:`SWAP_HOUR`)."""
    site = services.config.site.id
    with plant_db.begin() as conn:
        pid = point_id(conn, site, "meter.energy")  # every point is known since the history began
        assert pid is not None
        start = SWAP_HOUR - timedelta(hours=24)
        for i in range(48):
            bucket = start + timedelta(hours=i)
            value = 1000.0 + 10 * i if bucket < SWAP_HOUR else 3.0 + 10 * (i - 24)
            row = {"min": value, "max": value, "mean": value, "last": value, "count": 1, "good_ratio": 1.0}
            conn.execute(insert(schema.rollup_hour).values(point_id=pid, bucket=bucket, **row))
    services.meters = HmiMeters(MeterLog(services.config, plant_db, services.bus, services.clock))


async def test_the_agent_confirms_a_suspected_replacement_and_a_lower_reading_is_refused(
    hmi_user, services: HmiServices, plant_db: Engine
) -> None:
    _replaced_meter(services, plant_db)
    audit = services.bus.subscribe(OperatorAction, name="test.audit")
    async with hmi_user() as user:
        await login(user, "operator", path="/logbook")
        await user.should_see("index 1230,0 puis 3,0", retries=PATIENCE)  # the suspect
        user.find(marker="meter-point").elements.pop().set_value("meter.energy")
        user.find(marker="meter-when").type("2026-01-06 01:30")
        old, new = user.find(marker="meter-old").elements.pop(), user.find(marker="meter-new").elements.pop()
        assert isinstance(old, ui.number)
        assert isinstance(new, ui.number)
        old.set_value(1235.0)
        new.set_value(3.0)
        user.find(marker="meter-comment").type("compteur neuf posé par l'exploitant")
        user.find(marker="meter-replace").click()
        await user.should_see("Remplacement de compteur enregistré", retries=PATIENCE)
        user.find(marker="meter-when").clear()
        index = user.find(marker="meter-index").elements.pop()
        assert isinstance(index, ui.number)
        index.set_value(100.0)  # below the new meter's last reading (233)
        user.find(marker="meter-read").click()
        await user.should_see("Refusé : index inférieur au relevé précédent (233,0)", retries=PATIENCE)
    with plant_db.connect() as conn:
        row = conn.execute(select(meter_replacements)).mappings().one()
    assert (row["point"], row["old_final"], row["new_initial"], row["recorded_by"]) == (
        "meter.energy",
        1235.0,
        3.0,
        "operator",
    )
    assert row["replaced_at"] == datetime(2026, 1, 6, 0, 30, tzinfo=UTC)
    actions = [a for a in audit.drain() if isinstance(a, OperatorAction) and a.target == "meter.energy"]
    assert [(a.kind, a.result, a.context.user) for a in actions] == [
        (ActionKind.METER_REPLACEMENT, ActionResult.OK, "operator"),
        (ActionKind.MANUAL_READING, ActionResult.REFUSED, "operator"),
    ]
    assert await services.meters.suspects("fr") == []  # type: ignore[union-attr]


async def test_a_viewer_sees_no_meters_form(hmi_user, services: HmiServices, plant_db: Engine) -> None:
    _replaced_meter(services, plant_db)
    async with hmi_user() as user:
        await login(user, "viewer", path="/logbook")
        await user.should_see(marker="log-recent", retries=PATIENCE)
        await user.should_not_see(marker="meter-replace")
