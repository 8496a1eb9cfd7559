"""The GSM modem channel through the composition root: ``build_runtime`` with Twilio and a modem.

The modem is the simulator on a pseudo-terminal, reached by the real Gammu (python-gammu);
Twilio is the stand-in, or an address where nothing answers (the site's internet down). What
the issue asks to show: a P1 SMS that Twilio cannot take goes out once by the modem, with its
accents; a reply ``OK <code>`` to the modem acknowledges as that technician, audited with
channel "SMS (modem)", and the confirmation goes back by the modem; an unknown sender, a
replayed reply and a reply for an alarm already acknowledged are refused and audited; a modem
lost for good raises NOT-GSM and the messages go by Twilio.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from chaufferie.config.alarming import SmsRoute, TwilioSettings
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    AlarmState,
    AlarmTransition,
    Channel,
    OperatorAction,
)
from chaufferie.simulations.modem import ModemSimulator
from chaufferie.wiring import Runtime, build_runtime
from tests.access.conftest import FROM_NUMBER, PINS, acknowledge, add_users, serving, sign_in_with_pin
from tests.alarms.helpers import publish_tag, settle
from tests.conftest import free_port
from tests.root.test_runtime import environment, runtime_config
from tests.support.modem import modem_settings, simulated_modem
from tests.support.plc import eventually
from tests.support.twilio_standin import TwilioStandIn, twilio_standin

__all__ = ["twilio_standin"]  # the fixture (credentials in the environment)

MARTIN = "+33612345678"
STRANGER = "+33699999999"
POLL_S = 2.0

pytestmark = pytest.mark.modem  # Gammu-paced: `make test` runs these beside the rest


@dataclass
class Site:
    runtime: Runtime
    clock: VirtualClock
    modem: ModemSimulator
    tap: Subscription
    base_url: str
    audit: list[OperatorAction] = field(default_factory=list)

    async def settle(self, seconds: float = 0.0) -> None:
        await settle(self.runtime.alarms, self.clock, seconds)

    async def poll(self) -> None:
        """One more look of the modem watch at the modem (virtual time; Gammu in real time)."""
        watch = self.runtime.alarms.modem_watch
        assert watch is not None
        before = watch.polls
        await self.clock.advance(POLL_S)
        await eventually(lambda: watch.polls > before, within=15)
        await self.settle()

    def occurrence(self, code: str) -> str:
        return next(o.id for o in self.runtime.alarms.engine.occurrences.values() if o.code == code)

    def actions(self) -> list[OperatorAction]:
        self.audit.extend(m for m in self.tap.drain() if isinstance(m, OperatorAction))
        return self.audit


@pytest.fixture
def modem(tmp_path: Path) -> Iterator[ModemSimulator]:
    with simulated_modem(tmp_path / "modem") as sim:
        yield sim


@asynccontextmanager
async def modem_site(
    config: PlantConfig,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
    modem: ModemSimulator,
    twilio: TwilioStandIn,
    *,
    twilio_up: bool,
    routes: tuple[SmsRoute, ...] = (),
) -> AsyncIterator[Site]:
    port = free_port()
    cfg = runtime_config(config, f"http://127.0.0.1:{port}", twilio)
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: the site's internet is down
    sms = TwilioSettings(from_number=FROM_NUMBER, api_base_url=twilio.base_url if twilio_up else nowhere)
    notifiers = cfg.notifiers.model_copy(
        update={"sms": sms, "modem": modem_settings(modem, poll_s=POLL_S), "sms_routes": routes}
    )
    cfg = cfg.model_copy(update={"notifiers": notifiers})
    runtime = build_runtime(cfg, bus=Bus(), clock=clock, environ=environment(monkeypatch), port=port)
    for entry in runtime.system.entries:  # the HMI's live model without its NiceGUI server
        if entry.name == "hmi" and runtime.hmi is not None:
            entry.service = runtime.hmi.services.live
    tap = runtime.bus.subscribe(OperatorAction, name="test.audit")
    async with runtime.system, serving(runtime.app, port):
        add_users(runtime.access.store)
        site = Site(runtime, clock, modem, tap, f"http://127.0.0.1:{port}")
        await site.settle()
        yield site


def refusals(site: Site) -> list[tuple[str, str | None]]:
    return [
        (str(a.details.get("reason")), a.context.address)
        for a in site.actions()
        if a.kind is ActionKind.LINK_REFUSED and a.context.channel is Channel.SMS_MODEM
    ]


SiteMaker = Callable[..., AbstractAsyncContextManager[Site]]


@pytest.fixture
def make_site(
    config: PlantConfig,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
    modem: ModemSimulator,
    twilio_standin: TwilioStandIn,
) -> SiteMaker:
    """``modem_site`` on this test's configuration, clock, modem and Twilio stand-in."""
    return functools.partial(modem_site, config, clock, monkeypatch, modem, twilio_standin)


async def test_internet_down_p1_goes_by_the_modem_once_and_a_reply_to_it_acknowledges(
    make_site: SiteMaker, clock: VirtualClock, modem: ModemSimulator, twilio_standin: TwilioStandIn
) -> None:
    async with make_site(twilio_up=False) as site:
        publish_tag(site.runtime.bus, clock, "wood.state", 6)  # CHB-DEF, P1: Martin on call
        await site.settle(30)  # well within the retry budget
        [item] = [
            i for i in site.runtime.alarms.store.outbox() if i.code == "CHB-DEF" and i.address == MARTIN
        ]
        assert (item.via, item.route) == ("modem", ["twilio", "modem"])
        [sms] = [m for m in modem.messages() if m.number == MARTIN and "CHB-DEF" in m.text]
        assert sms.text == item.text  # exactly once, every character as composed
        assert "Défaut chaudière bois" in sms.text
        assert "répondre OK" in sms.text
        assert twilio_standin.messages == []

        code = re.search(r"OK (\d+)", sms.text)
        assert code is not None
        occ = site.occurrence("CHB-DEF")
        when = datetime.now(UTC).replace(microsecond=0)
        modem.deliver(STRANGER, f"OK {code.group(1)}")  # an unknown number
        modem.deliver(MARTIN, f"OK {code.group(1)}", when)
        await site.poll()
        await eventually(lambda: site.runtime.alarms.engine.get(occ).state is AlarmState.ACKED, within=10)  # type: ignore[union-attr]
        occurrence = site.runtime.alarms.engine.get(occ)
        assert occurrence is not None
        assert occurrence.acked_by == "martin"
        acks = [a for a in site.actions() if a.kind is ActionKind.ACKNOWLEDGE]
        assert [(a.context.user, a.context.channel, a.result) for a in acks] == [
            ("martin", Channel.SMS_MODEM, ActionResult.OK)
        ]
        await site.settle(5)
        answers = [m.text for m in modem.messages() if m.number == MARTIN]
        assert answers[-1] == "Alarme CHB-DEF acquittee par Julien Martin."  # back by the modem
        assert twilio_standin.messages == []

        modem.deliver(MARTIN, f"OK {code.group(1)}", when)  # the same message again: a replay
        await site.poll()
        modem.deliver(MARTIN, f"OK {code.group(1)}")  # a new reply, alarm already acknowledged
        await site.poll()
        await eventually(lambda: len(refusals(site)) >= 3, within=10)
        assert refusals(site) == [
            ("unknown_sender", STRANGER),
            ("replayed", MARTIN),
            ("already_acknowledged", MARTIN),
        ]
        assert [a for a in site.actions() if a.kind is ActionKind.ACKNOWLEDGE] == acks  # nothing more
        await site.settle(5)
        await site.poll()  # the status reports of the answers, read too
        assert modem.stored() == {}  # every message read was deleted once handled


async def test_modem_lost_for_good_raises_not_gsm_and_sms_go_by_twilio(
    make_site: SiteMaker, clock: VirtualClock, modem: ModemSimulator, twilio_standin: TwilioStandIn
) -> None:
    modem_first = (SmsRoute(via=("modem", "twilio")),)
    async with make_site(twilio_up=True, routes=modem_first) as site:
        transitions = site.runtime.bus.subscribe(AlarmTransition, name="test.transitions")
        assert site.runtime.cfg.point("modem.signal").link == "system"
        modem.unplug()
        await site.poll()
        raised = [t for t in transitions.drain() if isinstance(t, AlarmTransition) and t.code == "NOT-GSM"]
        assert [t.state for t in raised] == [AlarmState.UNACKED]
        assert raised[0].message.startswith("Modem GSM hors service : modem injoignable")
        assert site.runtime.hmi is not None
        shown = site.runtime.hmi.services.initial()  # what the HMI's alarm list starts from
        assert "NOT-GSM" in {t.code for t in shown}
        assert site.runtime.alarms.channels["modem"].available() is False

        publish_tag(site.runtime.bus, clock, "wood.state", 6)  # CHB-DEF, P1
        await site.settle(5)
        [item] = [
            i for i in site.runtime.alarms.store.outbox() if i.code == "CHB-DEF" and i.address == MARTIN
        ]
        assert item.via == "twilio"  # the modem, known down, skipped at once
        assert [b for b in twilio_standin.bodies_to(MARTIN) if "CHB-DEF" in b] == [item.text]
        assert any("NOT-GSM" in b for b in twilio_standin.bodies_to(MARTIN))  # told by Twilio too
        assert modem.sent == []


async def test_the_link_in_an_sms_the_modem_carried_works_once_the_internet_is_back(
    make_site: SiteMaker, clock: VirtualClock, modem: ModemSimulator, twilio_standin: TwilioStandIn
) -> None:
    async with make_site(twilio_up=False) as site:
        publish_tag(site.runtime.bus, clock, "oil.fault", True)  # FIO-DEF, P1, while internet is down
        await site.settle(30)
        [sms] = [m for m in modem.messages() if m.number == MARTIN and "FIO-DEF" in m.text]
        link = re.search(r"(http://127\.0\.0\.1:\d+/a/\S+)", sms.text)
        assert link is not None, sms.text
        occ = site.occurrence("FIO-DEF")
        async with httpx.AsyncClient(base_url=site.base_url) as client:  # the internet is back
            assert (await sign_in_with_pin(client, link.group(1), PINS["martin"])).status_code == 303
            done = await acknowledge(client, link.group(1), occ)
        assert done.status_code == 200
        occurrence = site.runtime.alarms.engine.get(occ)
        assert occurrence is not None
        assert occurrence.acked_by == "martin"
        acks = [a for a in site.actions() if a.kind is ActionKind.ACKNOWLEDGE]
        assert [(a.context.user, a.context.channel) for a in acks] == [("martin", Channel.LINK)]
