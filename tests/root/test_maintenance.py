"""Preventive maintenance, through the wiring, against a closed-loop replay of the plant.

The plant and its supervisor run in the closed-loop replay (:class:`chaufferie.replay.Replay`,
model time, the ``wood-fault`` scenario: the wood boiler cannot light from 1 h to 7 h, so its
run hours lag behind the clock). The replay's points reach the bus of a runtime built by
:func:`~chaufferie.wiring.build_runtime`, as the PLC bridge would publish them; its historian
records them, and its maintenance service — on the runtime's virtual clock, kept on the
replay's model time — checks the plan every ``check_s`` and mails through the runtime's alarm
outbox to the local outbox folder. Only those services run: the others tick every model second,
which would make a day of model time take a minute (their wiring is tested in ``test_runtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.maintenance import MaintenanceSettings, MaintenanceTask
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context, OperatorAction
from chaufferie.historian.maintenance import DoneRefused
from chaufferie.historian.maintenance_plan import Stage
from chaufferie.historian.readings import counter_at, counter_delta
from chaufferie.replay import Replay
from chaufferie.replay_tap import PlantTap
from chaufferie.wiring import Runtime, build_runtime
from tests.historian.support import Taps
from tests.root.test_runtime import run_system
from tests.soak.harness import SOAK_SECRETS
from tests.support.twilio_standin import TwilioStandIn, twilio_standin

__all__ = ["twilio_standin"]  # the fixture (run_system sends SMS through it)

pytestmark = pytest.mark.timeout(120)

CHECK_S = 900.0
STEP_S = 600.0
"""The replay runs in slices of 10 model minutes; the historian is flushed after each."""
GREASING = MaintenanceTask(
    id="graissage",
    label_fr="Graissage des vis",
    label_en="Screw lubrication",
    every_run_hours=20,
    warn_before=0.1,
    overdue_after=0.5,
)
"""Soon from 18 run hours, due from 20, overdue from 30."""
TAPPED = ("wood.run_hours", "wood.fuel_burnt", "wood.state")
AGENT = Context(origin="hmi", user="agent", channel=Channel.HMI, address="127.0.0.1")


def plan_config(config: PlantConfig) -> PlantConfig:
    plan = MaintenanceSettings(tasks=(GREASING,), notify=("tech-martin",), check_s=CHECK_S)
    return config.model_copy(update={"maintenance": plan})


async def checked(runtime: Runtime) -> None:
    """Wait (wall time) for the check the clock woke to finish, before time moves on."""
    for _ in range(2000):
        if not runtime.maintenance.busy:
            return
        await asyncio.sleep(0.005)
    raise TimeoutError("the maintenance check did not finish")


@dataclass
class Loop:
    """The replay feeding the runtime, both on the same model time."""

    replay: Replay
    runtime: Runtime
    clock: VirtualClock
    start: datetime

    async def run_until(self, hours: float) -> None:
        while self.replay.plant.t < hours * 3600.0 - 1e-6:
            self.replay.run(until_s=min(hours * 3600.0, self.replay.plant.t + STEP_S))
            await self.runtime.historian.flush()  # written before the checks of this slice
            await self.clock.advance_to(self.replay.plant.t)
            await self.checked()
        await self.runtime.alarms.outbox.settled()

    async def checked(self) -> None:
        await checked(self.runtime)

    def mails(self) -> list[str]:
        folder = self.runtime.cfg.data_path(self.runtime.cfg.notifiers.outbox_dir)
        return sorted(p.read_text(encoding="utf-8") for p in folder.glob("email-*.txt"))

    def run_hours(self, since: datetime, until: datetime) -> float:
        """The wood boiler's run hours the historian recorded over [since, until)."""
        with self.runtime.historian.engine.connect() as conn:
            return counter_delta(conn, self.runtime.cfg.site.id, "wood.run_hours", since, until)


@contextlib.asynccontextmanager
async def looping(cfg: PlantConfig) -> AsyncIterator[Loop]:
    replay = Replay(cfg, "wood-fault", alarms=False)
    clock = VirtualClock(replay.plant.now)
    runtime = build_runtime(cfg, bus=Bus(), clock=clock, environ=SOAK_SECRETS, with_hmi=False)
    replay.tap = Taps(replay.tap, PlantTap(cfg, replay.plant, TAPPED, [runtime.bus.publish]))  # type: ignore[assignment]
    outbox = runtime.alarms.outbox
    async with runtime.historian, runtime.maintenance, asyncio.TaskGroup() as group:
        tasks = [group.create_task(runtime.maintenance.run()), group.create_task(outbox.run())]
        try:
            yield Loop(replay, runtime, clock, replay.plant.now)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.to_thread(runtime.alarms.store.close)


async def test_a_task_due_by_run_hours_is_mailed_once_and_done_starts_it_again(config: PlantConfig) -> None:
    async with looping(plan_config(config)) as loop:
        await loop.run_until(18.0)  # about 11 run hours: the boiler stood still from 1 h to 7 h
        [view] = await loop.runtime.maintenance.status()
        assert view.stage is Stage.OK
        assert loop.mails() == []

        await loop.run_until(30.0)
        [item] = [i for i in loop.runtime.alarms.store.outbox() if i.key.startswith("maintenance/")]
        due_at = datetime.fromtimestamp(item.created_at, tz=loop.start.tzinfo)
        # the check that found it due had 20 run hours behind it; the one before did not
        assert loop.run_hours(loop.start, due_at) >= 20.0
        assert loop.run_hours(loop.start, due_at - timedelta(seconds=CHECK_S)) < 20.0
        assert due_at - loop.start > timedelta(hours=26)  # 20 run hours took more than 26 hours
        [mail] = loop.mails()  # once, though every check since found it due
        assert "Objet / subject: [Chaufferie bois de Joucas] Entretien à faire : Graissage des vis" in mail
        assert "julien.martin@example.org (tech-martin)" in mail
        assert "h de marche sur 20 h" in mail

        audit = loop.runtime.bus.subscribe(OperatorAction, name="test.audit")
        record = await loop.runtime.maintenance.done("graissage", AGENT, note="vis graissées, RAS")
        [view] = await loop.runtime.maintenance.status()
        assert view.stage is Stage.OK
        assert view.last == record
        assert [t.used for t in view.assessment.triggers] == [0.0]
        with loop.runtime.historian.engine.connect() as conn:
            counter = counter_at(conn, "joucas", "wood.run_hours", loop.clock.now())
        assert record.run_hours == counter
        assert (record.done_at, record.done_by, record.note) == (
            loop.clock.now(),
            "agent",
            "vis graissées, RAS",
        )
        assert await loop.runtime.maintenance.history("graissage") == [record]
        [action] = audit.drain()
        assert isinstance(action, OperatorAction)
        assert (action.kind, action.result, action.target) == (
            ActionKind.MAINTENANCE_DONE,
            ActionResult.OK,
            "graissage",
        )
        assert action.context.user == "agent"

        await loop.run_until(36.0)  # about 6 run hours more: not due again
        [view] = await loop.runtime.maintenance.status()
        assert view.stage is Stage.OK
        assert 5.0 < (view.assessment.triggers[0].used or 0.0) < 7.0
        assert len(loop.mails()) == 1


async def test_done_for_an_unknown_task_or_in_the_future_is_refused_audited_and_not_stored(
    config: PlantConfig,
) -> None:
    async with looping(plan_config(config)) as loop:
        await loop.run_until(1.0)
        audit = loop.runtime.bus.subscribe(OperatorAction, name="test.audit")
        service = loop.runtime.maintenance
        with pytest.raises(DoneRefused) as unknown:
            await service.done("ramonage", AGENT)
        with pytest.raises(DoneRefused) as future:
            await service.done("graissage", AGENT, at=loop.clock.now() + timedelta(minutes=1))
        assert (unknown.value.reason, future.value.reason) == ("unknown_task", "future")
        assert await service.history() == []
        refused = [a for a in audit.drain() if isinstance(a, OperatorAction)]
        assert [(a.kind, a.result, a.target, a.details["reason"]) for a in refused] == [
            (ActionKind.MAINTENANCE_DONE, ActionResult.REFUSED, "ramonage", "unknown_task"),
            (ActionKind.MAINTENANCE_DONE, ActionResult.REFUSED, "graissage", "future"),
        ]
        earlier = await service.done("graissage", AGENT, at=loop.clock.now() - timedelta(minutes=30))
        assert earlier.done_at == loop.clock.now() - timedelta(minutes=30)


async def test_due_and_overdue_are_mailed_once_across_a_restart(
    config: PlantConfig, clock: VirtualClock, twilio_standin: TwilioStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    flue = MaintenanceTask(
        id="ramonage-conduit", label_fr="Ramonage du conduit", label_en="Flue", every_days=182
    )
    pumps = MaintenanceTask(id="permutation-pompes", label_fr="Permutation", label_en="Pumps", every_days=30)
    plan = MaintenanceSettings(
        tasks=(flue, pumps), notify=("tech-martin",), since=date(2025, 7, 1), check_s=CHECK_S
    )  # on 12 January 2026: 195 days, the flue due (182), the pumps overdue (30 + 25 %)
    cfg = config.model_copy(update={"maintenance": plan})
    for start in (True, False):
        async with run_system(cfg, clock, twilio_standin, monkeypatch, people=start) as running:
            runtime = running.runtime
            for _ in range(3):  # the check at start, then two more
                await clock.advance(CHECK_S)
                await checked(runtime)
            await runtime.alarms.outbox.settled()
            outbox = runtime.cfg.data_path(runtime.cfg.notifiers.outbox_dir)
            texts = (p.read_text(encoding="utf-8") for p in outbox.glob("email-*.txt"))
            mails = [m for m in texts if "Clé / key: maintenance/" in m]  # not the alarms' (no PLC here)
            assert sorted(m.split("Objet / subject: ")[1].splitlines()[0] for m in mails) == sorted(
                [
                    "[Chaufferie bois de Joucas] Entretien à faire : Ramonage du conduit",
                    "[Chaufferie bois de Joucas] Entretien en retard : Permutation",
                ]
            ), f"restart: {not start}"
