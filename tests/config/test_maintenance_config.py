"""The maintenance plan in the configuration: refused with file, line, field and value when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaufferie.config.loader import ConfigError, load_config, parse_config
from chaufferie.config.maintenance import Trigger
from tests.support.cli import check_config


def _with_plan(config_path: Path, **plan: object) -> str:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["maintenance"] = {**data["maintenance"], **plan}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "plant.yaml")
    return [str(i) for i in info.value.issues]


def _line_of(error: str, text: str) -> str:
    return text.splitlines()[int(error.split(":")[1]) - 1]


TASK = {"id": "graissage", "label_fr": "Graissage", "label_en": "Lubrication"}


def test_the_shipped_plan_follows_the_tender_and_mails_the_contractor(config_path: Path) -> None:
    plan = load_config(config_path).maintenance
    ids = [t.id for t in plan.tasks]
    for expected in ("ramonage-echangeur", "ramonage-conduit", "graissage", "reglage-combustion"):
        assert expected in ids
    for also in ("calibrage-securites", "tests-organes", "permutation-pompes", "nettoyage-corps-chauffe"):
        assert also in ids
    assert plan.task("ramonage-echangeur").intervals == {Trigger.RUN_HOURS: 500.0, Trigger.TONNES: 15.0}
    assert plan.task("ramonage-conduit").intervals == {Trigger.DAYS: 182.0}
    assert plan.notify == ("tech-martin", "tech-bernard")


def test_a_task_with_no_trigger_is_refused_with_its_line_and_id(config_path: Path) -> None:
    text = _with_plan(config_path, tasks=[TASK])
    [error] = _errors(text)
    assert error.startswith("plant.yaml:")
    assert "maintenance.tasks[0]: Value error, task 'graissage' has no trigger" in error
    assert "every_run_hours, every_tonnes or every_days" in error
    assert "graissage" in _line_of(error, text)


@pytest.mark.parametrize(
    ("field", "value"), [("every_run_hours", 0), ("every_tonnes", -2.5), ("every_days", 0)]
)
def test_a_non_positive_interval_is_refused_with_field_and_value(
    config_path: Path, field: str, value: float
) -> None:
    [error] = _errors(_with_plan(config_path, tasks=[{**TASK, field: value}]))
    assert f"maintenance.tasks[0].{field}: Input should be greater than 0 ({value!r})" in error


def test_a_duplicate_task_id_and_an_unknown_contact_are_refused(config_path: Path) -> None:
    tasks = [{**TASK, "every_days": 30}, {**TASK, "every_run_hours": 100}]
    text = _with_plan(config_path, tasks=tasks, notify=["tech-martin", "nobody"])
    errors = _errors(text)
    assert [e.split(": ", 1)[1] for e in errors] == [
        "maintenance.tasks[1].id: duplicate task id ('graissage')",
        "maintenance.notify[1]: unknown contact ('nobody')",
    ]


def test_a_run_hours_trigger_needs_a_known_counter(config_path: Path) -> None:
    text = _with_plan(config_path, tasks=[{**TASK, "every_run_hours": 100}], run_hours_point="wood.hours")
    [error] = _errors(text)
    assert error.endswith("maintenance.run_hours_point: unknown point ('wood.hours')")


def test_check_config_refuses_the_file_and_nothing_is_stored(config_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "plant.yaml"
    data_dir = tmp_path / "data"
    bad.write_text(_with_plan(config_path, tasks=[TASK]).replace("data_dir: data", f"data_dir: {data_dir}"))
    result = check_config(bad)
    assert result.returncode == 1
    assert f"{bad}:" in result.stderr
    assert "maintenance.tasks[0]" in result.stderr
    with pytest.raises(ConfigError):
        load_config(bad)
    assert not data_dir.exists()  # refused as a whole: no database, no folder
