"""``chaufferie backup`` / ``restore`` cover every piece of durable state, through the running system.

The system runs (``build_runtime``, virtual clock, the Twilio stand-in refusing every SMS so the
messages stay pending); a wood boiler fault opens CHB-DEF, a setting is changed from the HMI's
settings store; ``chaufferie backup`` is taken while it runs. The data folder is wiped, then
``chaufferie restore`` and the system started again find the open alarm, its pending messages
and the changed setting.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tarfile
from pathlib import Path

import pytest

from chaufferie.cli import main
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Channel, Context
from tests.alarms.helpers import publish_tag
from tests.root.test_runtime import run_system
from tests.support.twilio_standin import TwilioStandIn, twilio_standin

__all__ = ["twilio_standin"]

TECH = Context(origin="hmi", user="martin", channel=Channel.HMI, address="127.0.0.1")


async def test_backup_wipe_restore_keeps_open_alarms_pending_messages_and_settings(
    config: PlantConfig,
    clock: VirtualClock,
    twilio_standin: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    twilio_standin.down = True
    archive = tmp_path / "backup.tar.gz"
    data = Path(config.data_dir)
    async with run_system(config, clock, twilio_standin, monkeypatch) as running:
        runtime = running.runtime
        assert runtime.hmi is not None
        publish_tag(runtime.bus, clock, "wood.state", 6)  # CHB-DEF, P1
        await running.settle()
        occurrence = running.occurrence("CHB-DEF")
        settings = runtime.hmi.services.settings_store
        assert (await settings.save("cascade", {"topup_drop_k": 4.0}, TECH)).ok
        pending = {i.key for i in runtime.alarms.outbox.pending() if i.channel == "sms"}
        assert pending, "the SMS provider is down: the messages wait"
        assert await runtime.alarms.store.flush()
        assert main(["backup", "--data-dir", str(data), str(archive)]) == 0  # while it runs

    assert archive.stat().st_mode & 0o077 == 0, "the archive holds password hashes: its owner's alone"
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "chaufferie.db", "settings-overrides.json"} <= set(tar.getnames())
    shutil.rmtree(data)
    capsys.readouterr()
    assert main(["restore", "--data-dir", str(data), str(archive)]) == 0
    assert main(["restore", "--data-dir", str(data), str(archive)]) == 1  # state there: --force
    assert "--force" in capsys.readouterr().err

    async with run_system(config, clock, twilio_standin, monkeypatch, people=False) as running:
        runtime = running.runtime
        assert [a.occurrence_id for a in runtime.alarms.operations.active() if a.code == "CHB-DEF"] == [
            occurrence
        ]
        assert pending <= {i.key for i in runtime.alarms.outbox.pending()}
        assert runtime.cfg.cascade.topup_drop_k == 4.0
        assert runtime.supervisor.core.cfg.cascade.topup_drop_k == 4.0


def test_restore_refuses_a_damaged_database_and_replaces_nothing(config: PlantConfig, tmp_path: Path) -> None:
    data = Path(config.data_dir)
    data.mkdir(parents=True)
    with sqlite3.connect(data / "chaufferie.db") as db:
        db.execute("CREATE TABLE kept (x)")
    archive = tmp_path / "backup.tar.gz"
    assert main(["backup", "--data-dir", str(data), str(archive)]) == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            content = src.extractfile(member)
            assert content is not None
            body = content.read()
            if member.name == "chaufferie.db":
                body = body[:100] + b"\xff" * 400 + body[500:]
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
    assert main(["restore", "--force", "--data-dir", str(data), str(damaged)]) == 1
    with sqlite3.connect(data / "chaufferie.db") as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("kept",)]


def test_restore_reads_only_the_members_it_knows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "crafted.tar.gz"
    data = tmp_path / "a" / "b" / "data"
    with tarfile.open(archive, "w:gz") as tar:
        for name, body in (
            ("manifest.json", json.dumps({"format": 1, "members": ["../../x"]}).encode()),
            ("../../x", b"planted"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    assert main(["restore", "--data-dir", str(data), str(archive)]) == 1
    assert "unexpected member '../../x'" in capsys.readouterr().err
    assert not (tmp_path / "a" / "x").exists()
