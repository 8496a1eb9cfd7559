"""The licence the project states is the one it ships: LICENSE in the tree and in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EUPL_TITLE = "EUROPEAN UNION PUBLIC LICENCE v. 1.2"
NOT_SOURCE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "data",
    "node_modules",
    "artifacts",
    "*.egg-info",
    "__pycache__",
)
NOT_SOURCE += (".mypy_cache", ".ruff_cache", ".pytest_cache")


def test_the_licence_file_is_the_eupl_named_in_pyproject_and_the_readme() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert text.startswith(EUPL_TITLE)
    assert "All linguistic versions of this Licence, approved by the European Commission" in text
    assert text.rstrip().endswith(
        "All other changes or additions to this Appendix require the production of a new EUPL version."
    )
    assert project["license"] == "EUPL-1.2"
    assert project["license-files"] == ["LICENSE"]
    assert "EUPL-1.2" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the source tree (what `pip wheel .` gives a packager)."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "src"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path / "wheel"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = (tmp_path / "wheel").glob("chaufferie-*.whl")
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_wheel_ships_the_licence_text(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        shipped = archive.read(licence).decode("utf-8")
        headers = archive.read(metadata).decode("utf-8").split("\n\n", 1)[0].splitlines()
    assert shipped == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "License-Expression: EUPL-1.2" in headers
    assert "License-File: LICENSE" in headers


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_wheel_installed_in_a_fresh_venv_checks_its_shipped_configuration(
    wheel: Path, tmp_path: Path
) -> None:
    """Outside the source tree, from the wheel alone (its dependencies from the registry)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    away = tmp_path / "elsewhere"  # not the source tree: nothing importable by accident
    away.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
        return subprocess.run(
            args, capture_output=True, text=True, cwd=away, env=env, timeout=60, check=False
        )

    where = run(
        str(python), "-c", "from chaufferie.config.loader import default_config_path as d; print(d())"
    )
    shipped = Path(where.stdout.strip())
    assert shipped.is_relative_to(venv), shipped  # the wheel's copy, not this checkout's
    checked = run(str(venv / "bin" / "chaufferie"), "check-config", str(shipped))
    assert checked.returncode == 0, checked.stderr
    assert "OK" in checked.stdout
    assert "site joucas" in checked.stdout
    bad = away / "bad.yaml"
    bad.write_text(
        shipped.read_text(encoding="utf-8").replace(
            "replacement_confirm_s: 120", "replacement_confirm_s: inf"
        )
    )
    refused = run(str(venv / "bin" / "chaufferie"), "check-config", str(bad))
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "bad.yaml" in said
    assert "replacement_confirm_s" in said
    for layer in ("config", "alarms", "hmi"):  # only chaufferie.<layer> exists: one Bus, one clock
        bare = run(str(python), "-c", f"import {layer}")
        assert "ModuleNotFoundError" in bare.stderr, bare.stderr


@pytest.mark.parametrize(
    "layer", ["config", "plc_bridge", "supervisor", "alarms", "historian", "hmi", "simulations"]
)
def test_a_layer_imported_by_its_bare_folder_name_in_the_source_tree_is_refused(layer: str) -> None:
    """From the checkout the folders are importable bare; a second copy of a layer (its own Bus,
    its own clock) must not load. ruff's TID251 refuses the import in the code as well."""
    bare = subprocess.run(
        [sys.executable, "-c", f"import {layer}"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert bare.returncode != 0
    assert f"import chaufferie.{layer}, not {layer}" in bare.stderr
