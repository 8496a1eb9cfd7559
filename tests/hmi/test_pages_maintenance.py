"""The Maintenance page: what is due and overdue, and a task done recorded with its note."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from sqlalchemy import Engine

from chaufferie.config.maintenance import MaintenanceSettings, MaintenanceTask
from chaufferie.config.vocabulary import ActionKind, ActionResult, OperatorAction
from chaufferie.historian.maintenance import MaintenanceService
from chaufferie.historian.maintenance_store import Counters, MaintenanceStore
from chaufferie.hmi.maintenance import HmiMaintenance
from chaufferie.hmi.services import HmiServices
from tests.hmi.conftest import login

PATIENCE = 50
PLAN = MaintenanceSettings(
    tasks=(
        MaintenanceTask(
            id="ramonage-conduit", label_fr="Ramonage du conduit", label_en="Flue sweep", every_days=182
        ),
        MaintenanceTask(
            id="permutation-pompes", label_fr="Permutation des pompes", label_en="Pump swap", every_days=30
        ),
        MaintenanceTask(
            id="calibrage", label_fr="Calibrage des sécurités", label_en="Calibration", every_days=365
        ),
    ),
    since=date(2025, 7, 1),  # 195 days before the tests' 12 January 2026
)


def _plan(services: HmiServices, plant_db: Engine) -> MaintenanceService:
    cfg = services.config.model_copy(update={"maintenance": PLAN})
    store = MaintenanceStore(plant_db, Counters(cfg.site.id, "wood.run_hours", "wood.fuel_burnt"))
    service = MaintenanceService(cfg, services.bus, services.clock, store)
    services.maintenance = HmiMaintenance(service)
    return service


def _rows(user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    table = user.find(marker="maint-table").elements.pop()
    assert isinstance(table, ui.table)
    return [(r["label"], r["stage"]) for r in table.rows]


async def test_a_viewer_sees_due_and_overdue_tasks_but_no_form(
    hmi_user, services: HmiServices, plant_db: Engine
) -> None:
    _plan(services, plant_db)
    async with hmi_user() as user:
        await login(user, "viewer", path="/maintenance")
        await user.should_see("1 à faire, 1 en retard", retries=PATIENCE)
        assert _rows(user) == [
            ("Ramonage du conduit", "À FAIRE"),  # 195 of 182 days
            ("Permutation des pompes", "EN RETARD"),  # 195 of 30 days: past 30 + 25 %
            ("Calibrage des sécurités", "à jour"),
        ]
        await user.should_not_see(marker="maint-save")


async def test_the_agent_records_a_task_done_with_a_note_and_it_is_audited(
    hmi_user, services: HmiServices, plant_db: Engine
) -> None:
    service = _plan(services, plant_db)
    audit = services.bus.subscribe(OperatorAction, name="test.audit")
    async with hmi_user() as user:
        await login(user, "operator", path="/maintenance")
        await user.should_see("1 à faire, 1 en retard", retries=PATIENCE)
        user.find(marker="maint-task").elements.pop().set_value("permutation-pompes")
        user.find(marker="maint-when").type("2027-01-01")
        user.find(marker="maint-save").click()
        await user.should_see("Date dans le futur : refusée", retries=PATIENCE)
        user.find(marker="maint-when").clear()
        user.find(marker="maint-note").type("pompe 2 en service, pompe 1 testée")
        user.find(marker="maint-save").click()
        await user.should_see("Entretien enregistré", retries=PATIENCE)
        await user.should_see("1 à faire, 0 en retard", retries=PATIENCE)
        await user.should_see("pompe 2 en service, pompe 1 testée", retries=PATIENCE)
    [done] = await service.history()
    assert (done.task_id, done.done_by, done.done_at) == (
        "permutation-pompes",
        "operator",
        services.clock.now(),
    )
    actions = [
        a for a in audit.drain() if isinstance(a, OperatorAction) and a.kind is ActionKind.MAINTENANCE_DONE
    ]
    assert [(a.result, a.context.user, a.target) for a in actions] == [
        (ActionResult.REFUSED, "operator", "permutation-pompes"),
        (ActionResult.OK, "operator", "permutation-pompes"),
    ]
