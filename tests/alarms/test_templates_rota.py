"""Message texts (GSM-7, 160 characters, FR/EN) and the on-call rota in the site's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from chaufferie.alarms.machine import Occurrence
from chaufferie.alarms.rota import OnCall, in_working_hours
from chaufferie.alarms.templates import Site, fit_sms, gsm7_length, render_alarm, render_digest, to_gsm7
from chaufferie.config.alarming import RotaException
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import OilRole

PARIS = ZoneInfo("Europe/Paris")


def _occ(config: PlantConfig, code: str = "CHB-DEF") -> Occurrence:
    a = config.alarm(code)
    return Occurrence(
        id="0123456789abcdef0123456789abcdef",
        code=code,
        priority=a.priority,
        raised_at=datetime(2026, 1, 12, 1, 14, tzinfo=UTC),
        message=a.label_fr,
        message_en=a.label_en,
        values={"wood.outlet_temp": 91.5},
    )


def test_french_accents_outside_gsm7_are_transliterated() -> None:
    assert to_gsm7("Chaudière fioul en RELÈVE – ballon 71 °C, pâte à crêpes") == (
        "Chaudière fioul en RELEVE - ballon 71 C, pate à crepes"
    )
    assert gsm7_length("relève éèùìò") == 12
    assert gsm7_length("°") is None


def test_sms_fits_160_gsm7_characters_and_keeps_the_link_whole() -> None:
    link = " Acq: http://127.0.0.1:8080/a/abcdef123456"
    sms = fit_sms("x" * 300, link)
    assert len(sms) == 160
    assert sms.endswith("..." + link)


def test_a_link_too_long_for_one_sms_takes_as_few_segments_as_possible() -> None:
    link = " " + "y" * 170
    sms = fit_sms("z" * 300, link)
    assert len(sms) == 306  # two concatenated segments of 153
    assert sms.endswith(link)


def test_alarm_sms_and_email_in_french_and_english(config: PlantConfig) -> None:
    site = Site.of(config)
    occ = _occ(config)
    fr = render_alarm(site, occ, config.alarm("CHB-DEF"), "fr", "http://h/a/x", reply="407113")
    en = render_alarm(site, occ, config.alarm("CHB-DEF"), "en", "http://h/a/x", step=1)
    assert fr.sms == "joucas P1 CHB-DEF 02:14 Défaut chaudière bois Acq: répondre OK 407113 ou http://h/a/x"
    assert (
        fr.sms_shown == "joucas P1 CHB-DEF 02:14 Défaut chaudière bois Acq: répondre OK ****** ou [lien/link]"
    )
    assert gsm7_length(fr.sms) is not None
    assert "Température sortie chaudière bois" in fr.text or "91,5" in fr.text
    assert en.subject == "[joucas] P1 CHB-DEF – Wood boiler fault"
    assert "Reminder #1" in en.text
    assert '<a href="http://h/a/x">' in en.html


def test_digest_lists_every_alarm_once(config: PlantConfig) -> None:
    site = Site.of(config)
    items = [(_occ(config, c), config.alarm(c)) for c in ("CHB-DEF", "SIL-VID", "PRS-BAS")]
    d = render_digest(site, items, "fr", "http://h/alarms", 5)
    assert d.sms.startswith("joucas 3 alarmes: CHB-DEF PRS-BAS SIL-VID")
    assert d.subject == "[joucas] 3 alarmes en 5 min"
    assert d.text.count(" P1 ") == 3


def test_digest_sms_still_says_releve_for_an_oil_start(config: PlantConfig) -> None:
    site = Site.of(config)
    oil = _occ(config, "FIO-REL")
    oil.oil_role = OilRole.REPLACEMENT
    oil.short = {"fr": "Fioul en relève : défaut chaudière bois depuis 02:14"}
    items = [(_occ(config), config.alarm("CHB-DEF")), (oil, config.alarm("FIO-REL"))]
    d = render_digest(site, items, "fr", "http://h/alarms", 2)
    assert d.sms == (
        "joucas 2 alarmes: CHB-DEF FIO-REL - Fioul en relève : défaut chaudière bois depuis 02:14 http://h/alarms"
    )


def test_on_call_changes_at_monday_0800_local_time(config: PlantConfig) -> None:
    assert config.rota is not None
    oncall = OnCall(config.rota, config.contacts, PARIS)
    before = datetime(2026, 1, 12, 6, 59, tzinfo=UTC)  # Monday 07:59 in Paris
    after = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
    assert oncall.at(before).on_call == "tech-martin"
    assert oncall.at(before).second == "tech-bernard"
    assert oncall.at(after).on_call == "tech-bernard"
    assert oncall.at(after).second == "tech-martin"
    assert oncall.at(after).manager == "mgr-dubois"


def test_on_call_handover_stays_at_0800_across_summer_time(config: PlantConfig) -> None:
    assert config.rota is not None
    oncall = OnCall(config.rota, config.contacts, PARIS)
    # Monday 30 March 2026, after the switch to CEST (UTC+2): 08:00 local is 06:00 UTC
    week = oncall.week_index(datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert week == oncall.week_index(datetime(2026, 3, 30, 5, 59, tzinfo=UTC)) + 1


def test_rota_exception_replaces_the_on_call_person(config: PlantConfig) -> None:
    assert config.rota is not None
    rota = config.rota.model_copy(
        update={
            "exceptions": (
                RotaException(
                    start=date(2026, 1, 10), end=date(2026, 1, 11), on_call="mgr-dubois", reason="congés"
                ),
            )
        }
    )
    oncall = OnCall(rota, config.contacts, PARIS)
    duty = oncall.at(datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    assert duty.on_call == "mgr-dubois"
    assert duty.second == "tech-bernard"


def test_working_hours_exclude_nights_sundays_and_easter_monday(config: PlantConfig) -> None:
    hours = config.working_hours
    assert in_working_hours(hours, datetime(2026, 1, 12, 9, 0, tzinfo=UTC), PARIS)  # Mon 10:00
    assert not in_working_hours(hours, datetime(2026, 1, 12, 11, 45, tzinfo=UTC), PARIS)  # lunch
    assert in_working_hours(hours, datetime(2026, 1, 10, 9, 0, tzinfo=UTC), PARIS)  # Saturday: ouvrable
    assert not in_working_hours(hours, datetime(2026, 1, 11, 9, 0, tzinfo=UTC), PARIS)  # Sunday
    assert not in_working_hours(hours, datetime(2026, 4, 6, 8, 0, tzinfo=UTC), PARIS)  # Easter Monday
