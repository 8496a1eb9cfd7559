"""The plant stays warm when ``chaufferie run`` dies (docs/domain.md §6, issue 16).

Simulator and system as separate processes (tests.e2e.system), the simulator at ×60 (one
wall second is a model minute). The system writes its life counter to the PLCs; a wood fault
is injected and the system killed with SIGKILL before it can react. The simulated hydraulic
PLC must go local within ``fallback_after_s`` plus a poll, start the oil boiler on its own and
keep the buffer within its band, with unmet demand ≈ 0. On restart the system reads the plant
as it is, takes control back without a second oil start, raises one SUP-LOC and sends one
message saying how long the plant ran alone.
"""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
import yaml

from chaufferie.config.loader import load_config
from tests.e2e.system import ON_CALL, SystemUnderTest, wait_for
from tests.support.smtp_server import SmtpTestServer
from tests.support.twilio_standin import TwilioStandIn

SPEED = 60.0
pytestmark = [pytest.mark.slow, pytest.mark.calendar, pytest.mark.timeout(420)]


FALLBACK_AFTER_S = 8.0
WRITE_EVERY_S = 2.0


def quick_fallback(system: SystemUnderTest) -> None:
    """The PLC falls back after 8 wall seconds of silence, the counter written every 2 s."""
    data = yaml.safe_load(system.config_path.read_text(encoding="utf-8"))
    data.setdefault("simulation", {})["fallback_after_s"] = FALLBACK_AFTER_S
    for link in data["links"].values():
        link["heartbeat_write_s"] = WRITE_EVERY_S
    system.config_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    system.cfg = load_config(system.config_path)


async def status(system: SystemUnderTest) -> dict[str, dict[str, float]]:
    answer = await system.command("status")
    return json.loads(answer.removeprefix("ok "))  # type: ignore[no-any-return]


def counter_samples(system: SystemUnderTest) -> int:
    sql = (
        "SELECT count(*) FROM samples JOIN points ON points.id = samples.point_id "
        "WHERE points.name = 'hydraulic.supervisor_heartbeat'"
    )
    return int(system.query(sql)[0][0])


async def test_sigkill_during_a_wood_fault_the_plc_keeps_the_plant_warm_and_hands_back_on_restart(
    plant: tuple[SystemUnderTest, TwilioStandIn, SmtpTestServer],
) -> None:
    system, twilio, smtp = plant
    quick_fallback(system)
    sim = system.cfg.simulation
    await system.start_simulator(speed=SPEED)
    await system.start_system()
    await wait_for(
        lambda: counter_samples(system) >= 3, 120, "life counter written and read back", system.run
    )
    assert (await status(system))["fallback"]["local_mode"] == 0

    # ---- the wood boiler fails and the supervisor dies at once, before confirming a relève
    await system.command("inject CHB-ALL")
    assert system.run is not None
    system.run.send_signal(signal.SIGKILL)
    system.run.wait(timeout=30)
    system.run = None
    before = await status(system)
    assert before["plant"]["oil_enable"] is False  # nobody had started oil

    async def local() -> bool:
        return (await status(system))["fallback"]["local_mode"] == 1

    # the PLC's timer counts wall seconds: fallback_after_s plus a poll, with margin
    await wait_for(local, sim.fallback_after_s + 5, "PLC local mode")

    async def oil_enabled() -> bool:
        return bool((await status(system))["plant"]["oil_enable"])

    await wait_for(oil_enabled, 3600 / SPEED + 10, "oil enabled by the PLC on its own")
    lowest = float("inf")
    for _ in range(6):  # eighteen model minutes alone, sampled every 3 model minutes
        now = await status(system)
        lowest = min(lowest, now["plant"]["buffer_top_c"])
        await asyncio.sleep(3 * 60 / SPEED)
    alone = await status(system)
    setpoint = alone["plant"]["wood_setpoint_c"]
    assert lowest > setpoint - sim.local_band_k - 3.0, (lowest, setpoint)  # band + the oil start delay
    assert alone["fallback"]["local_oil_starts"] == 1
    unmet = alone["plant"]["unmet_kwh"] - before["plant"]["unmet_kwh"]
    demand = alone["plant"]["demand_kwh"] - before["plant"]["demand_kwh"]
    assert unmet <= 0.005 * demand, (unmet, demand)

    # ---- the system comes back: control back, no second start, one SUP-LOC, one message
    enablings = alone["plant"]["oil_enablings"]
    await system.start_system()

    async def remote() -> bool:
        return (await status(system))["fallback"]["local_mode"] == 0

    await wait_for(remote, 120, "control taken back", system.run)
    await asyncio.sleep(8)  # eight model minutes under the supervisor again
    after = await status(system)
    assert after["plant"]["oil_enable"] is True  # the wood boiler is still down: oil keeps running
    assert after["plant"]["oil_enablings"] == enablings  # never switched off and on again
    sup_loc = "SELECT count(DISTINCT occurrence_id) FROM alarm_transitions WHERE code = 'SUP-LOC'"
    raised = system.query(sup_loc)[0][0]
    story = system.query(
        "SELECT time, occurrence_id, previous, state, trigger FROM alarm_transitions "
        "WHERE code = 'SUP-LOC' ORDER BY seq"
    )
    assert raised == 1, story
    contact = system.cfg.contact(ON_CALL)
    messages = [b for b in twilio.bodies_to(contact.phone or "") if "SUP-LOC" in b or "mode local" in b]
    assert len(messages) == 1, twilio.bodies_to(contact.phone or "")
    emails = [t for t in smtp.texts_to(contact.email or "") if "SUP-LOC" in t]
    assert len(emails) == 1
    # how long the plant ran alone and what oil did meanwhile, with the points' French labels
    assert "Durée du mode local" in emails[0]
    assert "Démarrages fioul en mode local : 1" in emails[0]
    episodes = system.query("SELECT oil_role, reason FROM plant_events WHERE kind = 'plc_local_mode_ended'")
    assert episodes == [("replacement", "supervisor_lost")]  # the episode, its oil start classed relève

    # ---- a hung process (SIGSTOP): the PLC takes over, and gives control back once the
    # supervisor runs again (a cut link does the same: see the soak's comm-loss scenario)
    assert system.run is not None
    system.run.send_signal(signal.SIGSTOP)
    await wait_for(local, sim.fallback_after_s + 10, "PLC local mode while the system is hung")
    system.run.send_signal(signal.SIGCONT)
    await wait_for(remote, 120, "control taken back after the hang", system.run)
    ended = "SELECT count(*) FROM plant_events WHERE kind = 'plc_local_mode_ended'"
    await wait_for(lambda: system.query(ended)[0][0] == 2, 30, "two episodes in the history")
    activated = "SELECT count(*) FROM alarm_transitions WHERE code = 'SUP-LOC' AND trigger = 'activate'"
    assert system.query(activated)[0][0] == 2  # not acknowledged yet: the same occurrence again
    assert (await status(system))["plant"]["oil_enablings"] == enablings  # oil ran on throughout
    assert "Traceback" not in system.log("run")
