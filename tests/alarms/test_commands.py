"""``chaufferie notify-test`` and the outbox's housekeeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaufferie.alarms.channels import TwilioSms
from chaufferie.alarms.store import OutboxItem, OutboxStatus, SqliteAlarmStore
from chaufferie.cli import main
from chaufferie.config.alarming import TwilioSettings


def test_notify_test_sends_sms_and_email_to_the_outbox_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["notify-test", "--data-dir", str(tmp_path), "--to", "mgr-dubois"]) == 0
    out = capsys.readouterr().out
    assert "sms    mgr-dubois +33634567890 via FolderOutbox: OK" in out
    files = sorted(p.name.split("-")[0] for p in (tmp_path / "outbox").glob("*.txt"))
    assert files == ["email", "sms"]


def test_notify_test_names_a_missing_twilio_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    config = tmp_path / "plant.yaml"
    shipped = Path(__file__).parents[2] / "config" / "joucas.yaml"
    config.write_text(
        shipped.read_text(encoding="utf-8").replace(
            "  outbox_dir: outbox", '  outbox_dir: outbox\n  sms: {from_number: "+33700000000"}'
        ),
        encoding="utf-8",
    )
    assert main(["notify-test", "--config", str(config), "--data-dir", str(tmp_path)]) == 1
    assert "TWILIO_ACCOUNT_SID" in capsys.readouterr().err


def test_purge_forgets_only_old_delivered_messages(tmp_path: Path) -> None:
    store = SqliteAlarmStore(tmp_path / "a.db")

    def item(key: str, status: OutboxStatus, created: float) -> OutboxItem:
        return OutboxItem(key, "sms", "c", "+33600000000", "", "x", status=status, created_at=created)

    for it in (
        item("old-sent", OutboxStatus.SENT, 100),
        item("old-queued", OutboxStatus.QUEUED, 100),
        item("old-failed", OutboxStatus.FAILED, 100),
        item("new-sent", OutboxStatus.SENT, 1000),
    ):
        store.add_outbox(it)
    assert store.purge(500) == 2
    assert sorted(i.key for i in store.outbox()) == ["new-sent", "old-queued"]
    store.close()


def test_twilio_channel_can_be_built_before_the_event_loop_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    channel = TwilioSms(TwilioSettings(from_number="+33700000000", api_base_url="http://127.0.0.1:9"))
    assert channel.name == "twilio"  # no aiohttp session yet: it is made inside the loop, on first use
