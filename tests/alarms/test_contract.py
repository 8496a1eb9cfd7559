"""The tender's price revision (§3.11) on the penalty, the index in force at a date, the
dispute's transitions, and the configuration refusing indices that are not positive numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from chaufferie.alarms.contract import (
    DisputeState,
    DisputeStep,
    IndexEntry,
    index_in_force,
    next_dispute_state,
    penalty_waived,
    revision_index,
)
from chaufferie.config.alarming import ContractIndices
from chaufferie.config.loader import ConfigError, parse_config

BASE = ContractIndices(bt40=100.0, ppei=100.0, tch=100.0)
CURRENT = ContractIndices(bt40=110.0, ppei=105.0, tch=102.0)
AT = datetime(2027, 10, 1, 9, 0, tzinfo=UTC)


def test_revision_index_is_the_tenders_formula_computed_by_hand() -> None:
    # 0,15 + 0,55 × 1,10 + 0,30 × (0,65 × 1,05 + 0,35 × 1,02) = 0,15 + 0,605 + 0,31185
    assert revision_index(BASE, CURRENT) == pytest.approx(1.06685, abs=1e-12)
    assert revision_index(BASE, BASE) == pytest.approx(1.0, abs=1e-12)
    other_base = ContractIndices(bt40=120.0, ppei=80.0, tch=50.0)
    halves = ContractIndices(bt40=60.0, ppei=40.0, tch=25.0)
    assert revision_index(other_base, halves) == pytest.approx(0.15 + 0.85 / 2, abs=1e-12)


def test_the_index_in_force_is_the_latest_entry_on_or_before_the_day() -> None:
    first = IndexEntry(date(2027, 10, 1), CURRENT, "dubois", AT)
    later = IndexEntry(date(2028, 10, 1), ContractIndices(bt40=120.0, ppei=100.0, tch=100.0), "dubois", AT)
    entries = [later, first]
    assert index_in_force(entries, date(2027, 9, 30), BASE) == 1.0  # before any entry
    assert index_in_force(entries, date(2027, 10, 1), BASE) == pytest.approx(1.06685)
    assert index_in_force(entries, date(2028, 9, 30), BASE) == pytest.approx(1.06685)
    assert index_in_force(entries, date(2028, 10, 1), BASE) == pytest.approx(0.15 + 0.55 * 1.2 + 0.30)
    assert index_in_force(entries, date(2028, 10, 1), None) == 1.0  # no base configured


def test_a_correction_for_the_same_date_wins_over_the_first_entry() -> None:
    typo = IndexEntry(date(2027, 10, 1), ContractIndices(bt40=1100.0, ppei=105.0, tch=102.0), "dubois", AT)
    fixed = IndexEntry(date(2027, 10, 1), CURRENT, "dubois", AT.replace(hour=10))
    assert index_in_force([fixed, typo], date(2027, 12, 1), BASE) == pytest.approx(1.06685)


def test_dispute_goes_none_disputed_then_accepted_or_rejected_only() -> None:
    assert next_dispute_state(DisputeState.NONE, DisputeStep.DISPUTE) is DisputeState.DISPUTED
    assert next_dispute_state(DisputeState.DISPUTED, DisputeStep.ACCEPT) is DisputeState.ACCEPTED
    assert next_dispute_state(DisputeState.DISPUTED, DisputeStep.REJECT) is DisputeState.REJECTED
    assert next_dispute_state(DisputeState.NONE, DisputeStep.ACCEPT) is None
    assert next_dispute_state(DisputeState.REJECTED, DisputeStep.ACCEPT) is None
    assert next_dispute_state(DisputeState.ACCEPTED, DisputeStep.DISPUTE) is None
    assert [s for s in DisputeState if penalty_waived(s)] == [DisputeState.ACCEPTED]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("0", "Input should be greater than 0 (0)"),
        ("-104.2", "Input should be greater than 0 (-104.2)"),
        (".nan", "Input should be a finite number (nan)"),
        (".inf", "Input should be a finite number (inf)"),
    ],
)
def test_the_configuration_refuses_a_base_index_that_is_not_positive(
    config_path: Path, written: str, problem: str
) -> None:
    text = config_path.read_text(encoding="utf-8")
    section = f"contract:\n  base_indices:\n    bt40: 104.6\n    ppei: {written}\n    tch: 99.1\n"
    line = text.count("\n") + 4  # the ppei line of the section appended below
    with pytest.raises(ConfigError) as info:
        parse_config(text + section, "plant.yaml")
    assert [str(i) for i in info.value.issues] == [
        f"plant.yaml:{line}: contract.base_indices.ppei: {problem}"
    ]


def test_the_configuration_takes_base_indices_and_anniversary(config_path: Path) -> None:
    text = config_path.read_text(encoding="utf-8")
    section = (
        "contract:\n  anniversary: 2026-10-01\n"
        "  base_indices:\n    bt40: 104.6\n    ppei: 101.3\n    tch: 99.1\n"
    )
    cfg = parse_config(text + section, "plant.yaml")
    assert cfg.contract.base_indices == ContractIndices(bt40=104.6, ppei=101.3, tch=99.1)
    assert cfg.contract.anniversary == date(2026, 10, 1)
