"""Every message people receive, in French and English, read as words: a golden copy.

Each alarm of the shipped catalogue (config/joucas.yaml) is raised by the real engine from a
realistic plant: a normal reading, then what goes wrong (a state number, a flag, a plant
event with the supervisor's values, a link down, an internal signal). Its email, SMS and
subject, the reminder, the digest, the oil start relève/appoint, the daily test, the fallback
copies, NOT-DEF's detail and the maintenance mails are rendered in both languages and compared
with tests/alarms/golden/messages_<lang>.txt, which a reviewer reads like the recipient would.
After a deliberate change of wording: ``CHAUFFERIE_GOLDEN=update pytest tests/alarms/test_message_words.py``.

Whatever the golden copy says, no message may show an internal key (``setpoint_c``,
``wood_unavailable``), ``True``/``False``/``None``, or a state label followed by a number.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaufferie.alarms.catalogue import MESSAGES, text
from chaufferie.alarms.machine import Occurrence
from chaufferie.alarms.modem import ModemHealth
from chaufferie.alarms.modem_watch import down_reason
from chaufferie.alarms.outbox import fallback_copy
from chaufferie.alarms.service import AlarmService, notdef_detail
from chaufferie.alarms.store import OutboxItem
from chaufferie.alarms.templates import Rendered, Site, render_alarm, render_digest
from chaufferie.config.alarming import Contact, Language
from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import (
    LinkEvent,
    LinkState,
    OilRole,
    PlantEvent,
    PlantEventKind,
    Quality,
    Scalar,
    SystemEvent,
    TagValue,
)
from chaufferie.config.words import EVENT_VALUES, REASON_WORDS, STATE_WORDS
from chaufferie.historian.forwarder import DOWN_SIGNAL, LOSS_SIGNAL, down_detail, loss_detail
from chaufferie.historian.maintenance import TaskView, maintenance_mail
from chaufferie.historian.maintenance_plan import Usage, assess
from chaufferie.historian.maintenance_store import DoneRecord
from chaufferie.supervisor.reasons import Reason
from tests.alarms.helpers import Rig

pytestmark = pytest.mark.timeout(120)

GOLDEN = Path(__file__).parent / "golden"
START = datetime(2026, 1, 12, 1, 0, tzinfo=UTC)  # Monday 02:00 in Joucas
LINK = "https://chaufferie.joucas.fr/a/Xk3pQ9"
ALARM_LIST = "https://chaufferie.joucas.fr/alarms"
REPLY = "407113"

NORMAL: dict[str, Scalar] = {
    "water.makeup": 1_200.0,
    "wood.state": 2,
    "wood.fault_code": 0,
    "wood.modulation": 62.5,
    "wood.outlet_temp": 78.4,
    "wood.return_temp": 64.2,
    "wood.flue_temp": 148.0,
    "outdoor.temp": 3.5,
    "silo.level": 54.0,
    "screw.current": 1.8,
    "ash.bin_level": 40.0,
    "wood.stb_tripped": False,
    "wood.burnback_tripped": False,
    "wood.ignition_failed": False,
    "silo.low_level": False,
    "silo.empty": False,
    "screw.jammed": False,
    "screw.test_failed": False,
    "ash.bin_full": False,
    "wood.setpoint": 78.0,
    "buffer.temp_top": 76.2,
    "pumps.duty": 1,
    "pump1.fault": False,
    "pump2.fault": False,
    "network.flow": 3.1,
    "network.pressure": 2.1,
    "network.low_pressure": False,
    "oil.burner_on": False,
    "oil.fault": False,
    "oil.outlet_temp": 35.0,
    "hydraulic.local_mode": 0,
    "hydraulic.local_mode_s": 0,
    "hydraulic.local_oil_starts": 0,
    "meter.energy": 123456.0,
}
"""A plant running on wood on a cold night: no alarm."""


def _oil_values(
    buffer: float, modulation: float, outdoor: float, unavailable: str | None
) -> dict[str, Scalar]:
    """What the supervisor's oil start carries (supervisor/core.py ``_oil_values``, oil.py)."""
    return {
        "buffer.temp_top": buffer,
        "setpoint_c": 78.0,
        "wood.modulation": modulation,
        "outdoor.temp": outdoor,
        "wood_unavailable": unavailable,
        "starts_last_hour": 1,
    }


@dataclass
class Scenario:
    """What goes wrong for one alarm."""

    tags: dict[str, Scalar] = field(default_factory=dict)
    event: PlantEvent | None = None
    """The supervisor's event (its time: when the scenario happens)."""
    link: str | None = None
    bad: str | None = None
    signal: tuple[str, str, str] | None = None


def _event(
    kind: PlantEventKind, reason: str, values: dict[str, Scalar], role: OilRole | None = None
) -> PlantEvent:
    return PlantEvent(kind, START, reason=reason, values=values, oil_role=role)


def _martin(config: PlantConfig, lang: str) -> Contact:
    """Julien Martin, the on-call technician, reading ``lang``."""
    martin = next(c for c in config.contacts if c.id == "tech-martin")
    return martin.model_copy(update={"language": Language(lang)})


def _notdef(config: PlantConfig) -> tuple[str, str]:
    """NOT-DEF's detail of an SMS Twilio refused for good."""
    item = OutboxItem(
        key="alarm/x/tech-martin/sms",
        channel="sms",
        contact_id="tech-martin",
        address="+33612345678",
        subject="",
        text="",
        error="Twilio HTTP 503 (code 20003)",
    )
    return notdef_detail(item, _martin(config, "fr"), "fr"), notdef_detail(item, _martin(config, "en"), "en")


def _modem_down() -> tuple[str, str]:
    """NOT-GSM's detail of a modem whose SIM card asks for its PIN (modem_watch.py)."""
    reason = down_reason(ModemHealth(connected=True, registration="home", signal_percent=80, sim="pin"), 20)
    assert reason is not None
    return reason


SCENARIOS: dict[str, Scenario] = {
    "CHB-STB": Scenario(
        {"wood.stb_tripped": True, "wood.state": 6, "wood.outlet_temp": 96.3, "buffer.temp_top": 88.1}
    ),
    "CHB-DEF": Scenario(
        {"wood.state": 6, "wood.fault_code": 1, "wood.outlet_temp": 61.2, "buffer.temp_top": 72.4}
    ),
    "CHB-ALL": Scenario({"wood.ignition_failed": True, "wood.flue_temp": 45.0}),
    "CHB-RDF": Scenario({"wood.burnback_tripped": True, "wood.state": 7, "wood.flue_temp": 162.5}),
    "VIS-BLQ": Scenario({"screw.jammed": True, "screw.current": 4.6}),
    "VIS-INV": Scenario({"screw.test_failed": True, "screw.current": 0.0}),
    "SIL-BAS": Scenario({"silo.low_level": True, "silo.level": 14.2}),
    "SIL-VID": Scenario({"silo.empty": True, "silo.level": 0.0}),
    "CEN-PLN": Scenario({"ash.bin_full": True, "ash.bin_level": 92.0}),
    "FUM-HT": Scenario({"wood.flue_temp": 236.5, "wood.modulation": 100.0}),
    "PMP-BAS": Scenario(
        {"pumps.duty": 2, "pump1.fault": True, "network.flow": 0.2},
        _event(
            PlantEventKind.PUMP_SWITCHED,
            Reason.PUMP_FAULT,
            {"from": 1, "to": 2, "flow_m3h": 0.2, "pump1_fault": True, "pump2_fault": False},
        ),
    ),
    "PMP-2DF": Scenario(
        {"pump1.fault": True, "pump2.fault": True, "network.flow": 0.0},
        _event(
            PlantEventKind.PUMPS_BOTH_FAILED,
            Reason.BOTH_PUMPS_FAILED,
            {"flow_m3h": 0.0, "pump1_fault": True, "pump2_fault": True},
        ),
    ),
    "PRS-BAS": Scenario({"network.low_pressure": True, "network.pressure": 0.6}),
    "PRS-HT": Scenario({"network.pressure": 3.8}),
    "EAU-APP": Scenario({"water.makeup": 1_284.0}),  # 84 L since the normal reading
    "TDP-REG": Scenario({"buffer.temp_top": 70.5}),
    "FIO-REL": Scenario(
        {"wood.state": 6, "wood.fault_code": 1, "oil.burner_on": True, "buffer.temp_top": 73.4},
        _event(
            PlantEventKind.OIL_STARTED,
            Reason.IGNITION_FAILURE,
            _oil_values(73.4, 0.0, 3.5, Reason.IGNITION_FAILURE),
            OilRole.REPLACEMENT,
        ),
    ),
    "FIO-APP": Scenario(
        {"wood.modulation": 100.0, "outdoor.temp": -6.5, "buffer.temp_top": 74.1, "oil.burner_on": True},
        _event(
            PlantEventKind.OIL_STARTED,
            Reason.WOOD_INSUFFICIENT,
            _oil_values(74.1, 100.0, -6.5, None),
            OilRole.TOP_UP,
        ),
    ),
    "FIO-DEF": Scenario({"oil.fault": True, "oil.outlet_temp": 41.0}),
    "COM-API": Scenario(link="boiler"),
    "COM-HYD": Scenario(link="hydraulic"),
    "COM-CPT": Scenario(bad="meter.energy"),
    "COM-MBS": Scenario(link="meters"),
    "SUP-LOC": Scenario(
        {
            "hydraulic.local_mode": 1,
            "hydraulic.local_mode_s": 420,
            "hydraulic.local_oil_starts": 1,
            "oil.burner_on": True,
            "buffer.temp_top": 71.8,
        }
    ),
    "SUP-HBT": Scenario(
        signal=(
            "watchdog",
            text(MESSAGES, "watchdog_detail", "fr", seconds=184.0),
            text(MESSAGES, "watchdog_detail", "en", seconds=184.0),
        )
    ),
    "HIS-PER": Scenario(
        signal=(
            "spool_overflow",
            "1250 enregistrements perdus, tampon de 52428800 octets plein",
            "1250 records lost, spool of 52428800 bytes full",
        )
    ),
    "COM-CEN": Scenario(signal=(DOWN_SIGNAL, *down_detail("ville", START - timedelta(hours=1)))),
    "FWD-PER": Scenario(signal=(LOSS_SIGNAL, *loss_detail(1200, "ville", 1200))),
    "NOT-DEF": Scenario(signal=("notification_failed", "", "")),  # detail: see _raise
    "NOT-GSM": Scenario(signal=("modem_down", *_modem_down())),
}


async def _raise(config: PlantConfig, tmp_path: Path, code: str) -> Occurrence:
    """``code`` raised by the engine from :data:`NORMAL` and its scenario."""
    clock = VirtualClock(START)
    rig = Rig(config, clock, Bus(), tmp_path / f"{code}.db")
    scenario = SCENARIOS[code]
    rig.engine.handle_batch([TagValue(p, v, Quality.GOOD, START, START) for p, v in NORMAL.items()])
    assert rig.engine.occurrences == {}, "the normal plant raises nothing"
    await rig.advance(1)
    now = clock.now()
    rig.engine.handle_batch([TagValue(p, v, Quality.GOOD, now, now) for p, v in scenario.tags.items()])
    if scenario.event is not None:
        rig.engine.on_plant(replace(scenario.event, time=now))
    if scenario.link is not None:
        rig.engine.on_link(LinkEvent(scenario.link, LinkState.DOWN, LinkState.UP, "timeout", now))
    if scenario.bad is not None:
        rig.tag(scenario.bad, NORMAL[scenario.bad], Quality.BAD)
    if scenario.signal is not None:
        name, fr, en = scenario.signal
        if code == "NOT-DEF":
            fr, en = _notdef(config)
        rig.engine.handle(SystemEvent(name, True, now, fr, en))
    await rig.advance(config.alarm(code).on_delay_s + 1)
    [occ] = [o for o in rig.engine.occurrences.values() if o.code == code]
    rig.store.close()
    return occ


def _show(title: str, rendered: Rendered) -> str:
    return (
        f"=== {title}\n--- subject\n{rendered.subject}\n--- sms ({len(rendered.sms)})\n{rendered.sms}\n"
        f"--- email\n{rendered.text}"
    )


def _item(title: str, item: OutboxItem) -> str:
    return (
        f"=== {title}\n--- {item.channel}: subject\n{item.subject}\n--- {item.channel}: text\n{item.text}\n"
    )


async def _messages(config: PlantConfig, tmp_path: Path, lang: str) -> list[tuple[str, str]]:
    """(title, every text of one message) for every message template, in ``lang``."""
    site = Site.of(config)
    out: list[tuple[str, str]] = []
    occurrences = {a.code: await _raise(config, tmp_path / lang, a.code) for a in config.alarms}
    for code, occ in occurrences.items():
        out.append((code, _show(code, render_alarm(site, occ, config.alarm(code), lang, LINK, reply=REPLY))))
    reminder = render_alarm(site, occurrences["CHB-DEF"], config.alarm("CHB-DEF"), lang, LINK, step=1)
    out.append(("reminder", _show("CHB-DEF reminder 1", reminder)))
    burst = [(occurrences[c], config.alarm(c)) for c in ("CHB-DEF", "FIO-REL", "SIL-BAS", "VIS-BLQ")]
    out.append(("digest", _show("digest", render_digest(site, burst, lang, ALARM_LIST, 5))))
    for role in ("FIO-REL", "FIO-APP"):
        occ = occurrences[role]
        oil = f"=== oil start {role}\n{occ.message if lang == 'fr' else occ.message_en}\n{occ.short[lang]}\n"
        out.append((f"oil {role}", oil))
    out.append(("NOT-DEF detail", f"=== NOT-DEF detail\n{_notdef(config)[0 if lang == 'fr' else 1]}\n"))
    out += _chain_messages(
        config, lang, render_alarm(site, occurrences["CHB-DEF"], config.alarm("CHB-DEF"), lang, LINK)
    )
    out += _maintenance_mails(config, lang)
    return out


def _chain_messages(config: PlantConfig, lang: str, alarm: Rendered) -> list[tuple[str, str]]:
    """The daily test by every transport, and the fallback copies (SMS → email, email → SMS)."""
    contact = _martin(config, lang)
    service = AlarmService(config, Bus(), VirtualClock(START))
    try:
        daily = service.watchdog.test_items(START, [contact], "daily-test/2026-01-12")
    finally:
        service.store.close()
    out = [(f"daily test {i.channel}", _item(f"daily test by {i.channel}", i)) for i in daily]
    sms = OutboxItem("a/sms", "sms", contact.id, contact.phone or "", alarm.subject, alarm.sms)
    email = OutboxItem("a/email", "email", contact.id, contact.email or "", alarm.subject, alarm.text)
    for item, other, address in ((sms, "email", contact.email), (email, "sms", contact.phone)):
        copy = fallback_copy(item, other, address or "", lang, config.site.id)
        out.append((f"fallback {other}", _item(f"fallback copy of the {item.channel} by {other}", copy)))
    return out


def _maintenance_mails(config: PlantConfig, lang: str) -> list[tuple[str, str]]:
    now = START + timedelta(days=200)
    tasks = config.maintenance.tasks
    last = DoneRecord(7, tasks[0].id, START, "agent", "", 1210.5, 30_000.0, START)
    due = TaskView(tasks[0], assess(tasks[0], Usage(512.3, 15.6, 200.0)), START, last)
    overdue = TaskView(tasks[2], assess(tasks[2], Usage(None, None, 280.0)), START, None)
    return [
        (f"maintenance {v.stage.value}", _item(f"maintenance {v.stage.value}", mail))
        for v in (due, overdue)
        for mail in [maintenance_mail(config, v, "tech-martin", "julien.martin@example.org", lang, now)]
    ]


IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b")
RAW = re.compile(r"\b(True|False|None)\b")


def _state_followed_by_number(config: PlantConfig, message: str, lang: str) -> list[str]:
    labels = [p.label_en if lang == "en" else p.label_fr for p in config.points if p.states]
    return [m for label in labels for m in re.findall(rf"{re.escape(label)} ?: ?\d+", message)]


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_every_message_matches_its_golden_copy_and_reads_in_words(
    config: PlantConfig, tmp_path: Path, lang: str
) -> None:
    messages = await _messages(config, tmp_path, lang)
    titles = {t for t, _ in messages}
    assert {a.code for a in config.alarms} <= titles  # every alarm of the catalogue is in it
    whole = "\n".join(m for _, m in messages)
    golden = GOLDEN / f"messages_{lang}.txt"
    if os.environ.get("CHAUFFERIE_GOLDEN") == "update":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(whole, encoding="utf-8")
    for title, message in messages:
        prose = message.replace(LINK, "").replace(ALARM_LIST, "")
        assert IDENTIFIER.findall(prose) == [], title
        assert RAW.findall(prose) == [], title
        assert _state_followed_by_number(config, prose, lang) == [], title
    assert whole == golden.read_text(encoding="utf-8")


def test_the_golden_values_show_enum_bool_and_event_values_in_words() -> None:
    fr = (GOLDEN / "messages_fr.txt").read_text(encoding="utf-8")
    en = (GOLDEN / "messages_en.txt").read_text(encoding="utf-8")
    assert "État chaudière bois : défaut" in fr
    assert "Code défaut chaudière bois : échec d'allumage" in fr
    assert "Brûleur fioul en marche : oui" in fr
    assert "Chaudière bois indisponible : échec d'allumage" in fr
    assert "Consigne ballon tampon : 78,0 °C" in fr
    assert "Wood boiler state: fault" in en
    assert "Wood boiler unavailable: ignition failure" in en
    assert "Buffer setpoint: 78.0 °C" in en


def test_every_reason_and_event_value_has_words_in_both_languages() -> None:
    assert sorted(r.value for r in Reason if r.value not in REASON_WORDS) == []
    for words in (*STATE_WORDS.values(), *REASON_WORDS.values()):
        assert all(words)
        assert not any(IDENTIFIER.search(w) for w in words)
    for value in EVENT_VALUES.values():
        assert value.label_fr
        assert value.label_en
