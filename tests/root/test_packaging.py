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


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_wheel_ships_the_licence_text(tmp_path: Path) -> None:
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
    (wheel,) = (tmp_path / "wheel").glob("chaufferie-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        shipped = archive.read(licence).decode("utf-8")
        headers = archive.read(metadata).decode("utf-8").split("\n\n", 1)[0].splitlines()
    assert shipped == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "License-Expression: EUPL-1.2" in headers
    assert "License-File: LICENSE" in headers
