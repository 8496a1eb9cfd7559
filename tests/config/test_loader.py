"""The configuration loader refuses bad files with file:line: field: problem (value)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaufferie.config.loader import ConfigError, load_config, parse_config
from chaufferie.config.settings import PlantConfig
from tests.support.cli import check_config


def _shipped_text(config_path: Path) -> str:
    return config_path.read_text(encoding="utf-8")


def _mutated(config_path: Path, mutate) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(_shipped_text(config_path))
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "plant.yaml")
    return [str(i) for i in info.value.issues]


def test_shipped_config_is_valid(config_path: Path) -> None:
    cfg = load_config(config_path)
    assert isinstance(cfg, PlantConfig)
    assert cfg.site.id == "joucas"
    assert {a.code for a in cfg.alarms} >= {"CHB-STB", "FIO-REL", "FIO-APP", "NOT-DEF", "SUP-HBT"}
    assert cfg.point("wood.setpoint").writable
    assert cfg.point("wood.setpoint").bounds is not None


def test_missing_field_names_file_line_and_field(config_path: Path) -> None:
    text = _shipped_text(config_path).replace("  name: Chaufferie bois de Joucas\n", "", 1)
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0].startswith("plant.yaml:")
    assert "site.name: missing field" in errors[0]
    line = int(errors[0].split(":")[1])
    assert "site:" in text.splitlines()[line - 1]


def test_wrong_type_names_field_and_value(config_path: Path) -> None:
    text = _shipped_text(config_path).replace("  port: 5020\n", "  port: cinq-mille\n", 1)
    errors = _errors(text)
    assert any("links.boiler.port" in e and "'cinq-mille'" in e for e in errors), errors
    line = int(errors[0].split(":")[1])
    assert "cinq-mille" in text.splitlines()[line - 1]


def test_unknown_point_referenced_by_alarm(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["alarms"][0]["condition"]["point"] = "wood.no_such_point"

    errors = _errors(_mutated(config_path, mutate))
    assert errors == [errors[0]]
    assert "alarms[0].condition.point: unknown point ('wood.no_such_point')" in errors[0]


def test_overlapping_registers_are_refused(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        power = next(p for p in data["points"] if p["name"] == "wood.power")
        power["source"]["address"] = 7  # float32 over 7-8: 7 is the heartbeat

    errors = _errors(_mutated(config_path, mutate))
    assert any("source.address" in e and "already used by 'wood.heartbeat'" in e for e in errors), errors


def test_two_bits_of_one_register_do_not_overlap(config_path: Path) -> None:
    cfg = load_config(config_path)
    bits = [p for p in cfg.points if getattr(p.source, "bit", None) is not None]
    assert len({p.source.address for p in bits}) == 1  # type: ignore[union-attr]
    assert len(bits) >= 3


def test_out_of_range_bounds(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        sp = next(p for p in data["points"] if p["name"] == "wood.setpoint")
        sp["bounds"] = {"min": 95, "max": 60}

    errors = _errors(_mutated(config_path, mutate))
    assert any("points[" in e and ".bounds" in e and "min 95" in e for e in errors), errors


def test_writable_numeric_point_without_bounds(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        sp = next(p for p in data["points"] if p["name"] == "wood.setpoint")
        del sp["bounds"]

    errors = _errors(_mutated(config_path, mutate))
    assert any("needs bounds" in e for e in errors), errors


def test_unknown_key_is_refused_not_ignored(config_path: Path) -> None:
    text = _shipped_text(config_path).replace("  oil_min_run_s: 600\n", "  oil_min_run_sec: 600\n", 1)
    errors = _errors(text)
    assert any("cascade.oil_min_run_sec" in e and "Extra inputs" in e for e in errors), errors


def test_yaml_syntax_error_gives_line() -> None:
    errors = _errors("site:\n  id: x\n  name: [unclosed\n")
    assert errors[0].startswith("plant.yaml:")
    assert "(yaml)" in errors[0]


def test_rota_with_unknown_contact(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["rota"]["cycle"] = ["tech-martin", "nobody"]

    errors = _errors(_mutated(config_path, mutate))
    assert errors == [
        "plant.yaml:" + errors[0].split(":", 2)[1] + ": rota.cycle[1]: unknown contact ('nobody')"
    ]


def test_check_config_command_exit_codes(config_path: Path, tmp_path: Path) -> None:
    ok = check_config(config_path)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(_shipped_text(config_path).replace("  unit_id: 1\n", "  unit_id: 999\n", 1))
    res = check_config(bad)
    assert res.returncode == 1
    assert f"{bad}:" in res.stderr
    assert "links.boiler.unit_id" in res.stderr
    assert "999" in res.stderr


def test_sms_route_through_a_transport_that_is_not_configured(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["notifiers"]["sms_routes"] = [{"priorities": [1], "via": ["twilio", "modem"]}]
        data["notifiers"]["modem"] = {"device": "/dev/ttyUSB0"}

    errors = _errors(_mutated(config_path, mutate))
    assert len(errors) == 1
    assert errors[0].endswith(
        "notifiers.sms_routes[0].via[0]: transport not configured (notifiers.sms is not set) ('twilio')"
    )


def test_modem_settings_refuse_a_bad_connection_name(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["notifiers"]["modem"] = {"device": "/dev/ttyUSB0", "connection": "bluetooth"}

    [error] = _errors(_mutated(config_path, mutate))
    assert "notifiers.modem.connection" in error
    assert "'bluetooth'" in error


def test_buildings_need_known_meters_unique_ids_and_shares_adding_up(config_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["buildings"] = [
            {"id": "ecole", "name": "École", "share": 0.5, "heat_point": "meter.energy"},
            {"id": "ecole", "name": "Mairie", "share": 0.3, "heat_point": "meter.energy"},
            {"id": "gymnase", "name": "Gymnase", "share": 0.1},
        ]

    errors = [e.split(": ", 1)[1] for e in _errors(_mutated(config_path, mutate))]
    assert errors == [
        "buildings[1].id: duplicate building ('ecole')",
        "buildings[2].heat_point: unknown point ('heat.gymnase.energy')",
        "buildings: the shares must add up to 1 (0.9)",
    ]
