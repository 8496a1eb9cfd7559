"""A building without our plant software reaches the central database in the same format: a
CSV of meter readings (French or plain) becomes a batch valid by ESPI and our profile, that
``chaufferie central import`` loads once; a bad line is refused with its number."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from chaufferie.historian import schema
from chaufferie.historian.database import make_engine
from tests.historian.exchange_schemas import standard_and_profile

FRENCH = """compteur;date;index;unité
ecole-b.chaleur;2026-01-01 08:00;12 345,5;kWh
ecole-b.chaleur;2026-02-01 08:00;14 020;kWh
ecole-b.eau;2026-01-01 08:00;301,25;m³
"""


def _central(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chaufferie.cli", "central", "--db", db, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_a_csv_of_readings_becomes_a_valid_batch_that_the_central_imports_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    csv_file, feed = tmp_path / "releves.csv", tmp_path / "ecole-b.xml"
    csv_file.write_text(FRENCH, encoding="utf-8")
    made = _central(
        db, "meter-feed", str(csv_file), "--site", "ecole-b", "--name", "École B", "-o", str(feed)
    )
    assert made.returncode == 0, made.stderr
    standard_and_profile().assertValid(etree.parse(str(feed)))
    assert _central(db, "import", str(feed)).returncode == 1  # not registered yet: refused
    assert _central(db, "site", "add", "ecole-b", "--kind", "meters", "--name", "École B").returncode == 0
    imported = _central(db, "import", str(feed))
    assert imported.returncode == 0, imported.stderr
    assert "3 rows of ecole-b" in imported.stdout
    again = _central(db, "import", str(feed))  # the same readings again: refused, nothing twice
    assert (again.returncode, "replayed" in again.stderr) == (1, True)
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(schema.points.c.name, schema.points.c.unit, schema.samples.c.value, schema.samples.c.time)
            .join(schema.samples, schema.samples.c.point_id == schema.points.c.id)
            .order_by(schema.samples.c.time, schema.points.c.name)
        ).all()
    engine.dispose()
    assert [(r.name, r.unit, r.value) for r in rows] == [
        ("ecole-b.chaleur", "kWh", 12345.5),
        ("ecole-b.eau", "m³", 301.25),
        ("ecole-b.chaleur", "kWh", 14020.0),
    ]
    assert rows[0].time.hour == 7  # 08:00 in Paris in winter, stored in UTC


def test_a_bad_line_is_refused_with_its_number(tmp_path: Path) -> None:
    csv_file = tmp_path / "releves.csv"
    csv_file.write_text("meter,date,index,unit\nm1,2026-01-01 08:00,12.5,kWh\nm1,yesterday,13,kWh\n", "utf-8")
    refused = _central("sqlite://", "meter-feed", str(csv_file), "--site", "b")
    assert refused.returncode == 2
    assert ("line 3" in refused.stderr, "date" in refused.stderr, "Traceback" in refused.stderr) == (
        True,
        True,
        False,
    )
