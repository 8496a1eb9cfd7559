"""The plants shipped with the package (``chaufferie.config/*.yaml``): each one passes
``chaufferie check-config``, and they are distinct sites that can run side by side on one
machine (a demonstration of the city view: docs/central.md) — their own site id, name and
place, and none of their PLC links or HMI listens on another's port."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chaufferie.config.loader import load_config
from chaufferie.config.settings import PlantConfig
from tests.support.cli import check_config

SHIPPED = sorted(
    Path(str(f)) for f in resources.files("chaufferie.config").iterdir() if f.name.endswith(".yaml")
)


def _ports(cfg: PlantConfig) -> set[int]:
    """The local ports the plant's links and HMI use."""
    ports = {cfg.hmi.port}
    for link in cfg.links.values():
        raw = link.model_dump()
        if "port" in raw:
            ports.add(int(raw["port"]))
        if "endpoint" in raw:
            ports.add(int(urlsplit(str(raw["endpoint"])).port or 0))
    return ports


def test_joucas_and_kerbihan_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} >= {"joucas", "kerbihan"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_each_shipped_plant_passes_check_config(path: Path) -> None:
    checked = check_config(path)
    assert checked.returncode == 0, checked.stderr
    assert "OK" in checked.stdout


def test_the_shipped_plants_are_distinct_sites_on_their_own_ports(tmp_path: Path) -> None:
    plants = [load_config(p, data_dir=str(tmp_path / p.stem)) for p in SHIPPED]
    for attribute in ("id", "name"):
        values = [getattr(cfg.site, attribute) for cfg in plants]
        assert len(set(values)) == len(values), attribute
    places = [(cfg.site.latitude, cfg.site.longitude) for cfg in plants]
    assert len(set(places)) == len(places)
    for i, cfg in enumerate(plants):
        for other in plants[i + 1 :]:
            assert not _ports(cfg) & _ports(other), (cfg.site.id, other.site.id)
