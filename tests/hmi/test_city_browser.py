"""Two real sites side by side in the city view, in headless Chromium.

The Joucas plant and the Kerbihan plant (another configuration: config/kerbihan.yaml) each
replay two model days of their plant (simulator physics + production supervisor) into their
own historian; each site's forwarder sends its history, signed with its own key, to the real
central receiver over a real PostgreSQL; then ``chaufferie central serve --hmi-port`` serves the
city view, where a user of the central database sees both sites, their energy by building and
month, drills down to one site, and where an upload of a damaged batch is refused.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.forwarding import CentralReceiver, ForwardingSettings
from chaufferie.config.loader import load_config
from chaufferie.config.settings import PlantConfig
from chaufferie.historian import central_protocol as proto
from chaufferie.historian import schema
from chaufferie.historian.central_receiver import CentralStore, Receiver
from chaufferie.historian.central_registry import register_site
from chaufferie.historian.city import CITY_SITE
from chaufferie.historian.database import make_engine, migrate
from chaufferie.historian.forwarder import Forwarder
from tests.conftest import free_port, require_tool
from tests.historian.central_support import serve
from tests.historian.pgserver import PostgresUnavailable, postgres_bin_dir, start_postgres
from tests.support.browser import CONNECTED
from tests.support.serving import wait_serving
from tests.support.site_history import site_history

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parents[2]
SITES = ("joucas", "kerbihan")
PASSWORD = "Ville-centrale-2026"


async def _site(cfg: PlantConfig, url: str, key: Any) -> None:
    """Replay two model days of ``cfg``'s plant into its historian, then forward it all."""
    history = await site_history(cfg, days=2)
    forwarding = ForwardingSettings(receivers=(CentralReceiver(name="ville", url=url),), batch_rows=20_000)
    site_cfg = cfg.model_copy(update={"forwarding": forwarding})
    clock = VirtualClock(history.start)
    async with Forwarder(site_cfg, history.engine, Bus(), clock, key) as forwarder:
        await forwarder.round(forwarder.links[0])  # everything, batch after batch
    history.engine.dispose()


async def _fill(central_url: str, tmp: Path) -> None:
    engine = make_engine(central_url)
    migrate(engine)
    runner, url = await serve(Receiver(CentralStore(engine, "test")).app())
    try:
        for site in SITES:
            cfg = load_config(ROOT / "config" / f"{site}.yaml", data_dir=str(tmp / site))
            key = proto.new_private_key()
            register_site(
                engine, site, cfg.site.name, "plant", proto.public_pem(key.public_key()), datetime.now(UTC)
            )
            await _site(cfg, url, key)
    finally:
        await runner.cleanup()
        engine.dispose()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if postgres_bin_dir() is None:
        require_tool("initdb", "PostgreSQL server binaries for the city view")
    tmp = tmp_path_factory.mktemp("city")
    try:
        pg = start_postgres(free_port())
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    db = pg.url(pg.create_database())
    log = (tmp / "central.log").open("wb")
    proc = None
    try:
        asyncio.run(_fill(db, tmp))
        env = {
            **os.environ,
            "CHAUFFERIE_CENTRAL_DB": db,
            "CHAUFFERIE_SECRET_KEY": "city-view-test-signing-key-01234",
        }
        command = [
            sys.executable,
            "-m",
            "chaufferie.cli",
            "user",
            "--central",
            "--stdin",
            "add",
            "agent",
            "--role",
        ]
        added = subprocess.run(
            [*command, "admin"],
            input=f"{PASSWORD}\n{PASSWORD}\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert added.returncode == 0, added.stderr
        port, hmi = free_port(), free_port()
        serve_args = ["central", "serve", "--port", str(port), "--hmi-port", str(hmi)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "chaufferie.cli", *serve_args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{hmi}"
        wait_serving(f"{base}/login", proc, tmp / "central.log")
        yield base, db
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=15)
        log.close()
        pg.stop()


def test_two_sites_side_by_side_in_the_city_view(city: tuple[str, str], browser: Any, tmp_path: Path) -> None:
    base, db = city
    context = browser.new_context(locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/login?next=/")
    page.wait_for_function(CONNECTED)
    page.get_by_label("Identifiant").fill("agent")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")
    sites = (
        page.locator('[data-testid="sites"]')
        if page.locator('[data-testid="sites"]').count()
        else page.locator("table").first
    )
    for name in ("Chaufferie bois de Joucas", "Chaufferie bois de Kerbihan"):
        page.get_by_role("link", name=name).wait_for()
    text = sites.inner_text()
    assert "chaufferie" in text  # kind, in French
    energy = page.locator("table").nth(1).inner_text()
    assert "Énergie — Groupe scolaire" in energy  # Kerbihan's building
    assert "Énergie — École" in energy  # Joucas' building
    assert energy.count("total") == 2
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter en CSV").click()
    saved = tmp_path / "ville.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("site;compteur;")
    assert any(line.startswith("Chaufferie bois de Kerbihan;") for line in lines)
    damaged = tmp_path / "damaged.xml"
    damaged.write_bytes(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>")
    page.locator('input[type="file"]').set_input_files(str(damaged))
    page.get_by_text("Lot refusé (invalid)").wait_for()
    page.get_by_role("link", name="Chaufferie bois de Kerbihan").click()
    page.wait_for_url(f"{base}/site/kerbihan")
    page.get_by_text("Rapport mensuel d'énergie (MWh)").wait_for()
    assert "Énergie — Salle omnisports" in page.locator("table").last.inner_text()
    context.close()
    engine = make_engine(db)
    with engine.connect() as conn:
        actions = dict(
            conn.execute(
                select(schema.operator_actions.c.kind, func.count())
                .where(schema.operator_actions.c.site_id == CITY_SITE)
                .group_by(schema.operator_actions.c.kind)
            ).all()
        )
        kerbihan_points = conn.execute(
            select(func.count()).select_from(schema.points).where(schema.points.c.site_id == "kerbihan")
        ).scalar_one()
    engine.dispose()
    assert (actions.get("login", 0) >= 1, actions.get("export"), actions.get("upload")) == (True, 1, 1)
    assert kerbihan_points > 10
