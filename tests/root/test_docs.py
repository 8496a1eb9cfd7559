"""The project's documentation stands on its own and names only what exists.

* every module, class or function a package docstring names (``name``, :mod:`.name`,
  :class:`~chaufferie.x.Y`) exists;
* nothing in the repository cites notes that are not part of it (the notes kept beside the
  repository while it was written): facts are written in ``docs/`` and cited from there;
* every ``docs/….md`` a file cites exists, and so does the section (``§N``) or rule it names.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from chaufferie.config.settings import PlantConfig
from chaufferie.lifespan import StageName
from chaufferie.wiring import build_runtime
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
SKIP_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "data",
    "artifacts",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
}
TEXT_SUFFIXES = {
    ".py",
    ".md",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".txt",
    ".sh",
    ".service",
    ".conf",
    ".env",
}
SOURCE_TOP = ("chaufferie", "config", "plc_bridge", "supervisor", "alarms", "historian", "hmi", "simulations")

ROLE = re.compile(r":(?:mod|class|func|meth|data|attr|exc):`~?([\w.]+)`")
LITERAL = re.compile(r"``([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)``")
# spelled in pieces so that this file does not cite what it forbids
OUTSIDE_NOTES = re.compile(r"\.\./" + "shared|\\b(?:DESIGN|DOMAIN|HMI|STYLE)" + r"\.md\b|design" + " notes")
DOC_CITE = re.compile(r"docs/([\w-]+\.md)(?:,? (§\s?\d+|rule \d+))?")


def _packages() -> list[tuple[str, Path]]:
    """(import name, folder) of every package of the distribution."""
    found = []
    for top in SOURCE_TOP:
        for init in sorted((REPO / top).rglob("__init__.py")):
            parts = init.parent.relative_to(REPO).parts
            name = ".".join(parts if parts[0] == "chaufferie" else ("chaufferie", *parts))
            found.append((name, init.parent))
    return found


def _exists(dotted: str) -> bool:
    """A module, or an attribute of a module, under that dotted name."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _names(package: str, folder: Path) -> list[str]:
    """What the package's docstring names that does not exist."""
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))) or ""
    missing = []
    for target in ROLE.findall(doc):
        dotted = package + target if target.startswith(".") else target
        if not _exists(dotted) and not _exists(f"{package}.{target}"):
            missing.append(target)
    for word in LITERAL.findall(doc):
        candidates = [f"{package}.{word}", word if word.startswith("chaufferie") else f"chaufferie.{word}"]
        if not (folder / word).exists() and not any(_exists(c) for c in candidates):
            missing.append(word)
    return missing


@pytest.mark.parametrize(("package", "folder"), _packages(), ids=[p for p, _ in _packages()])
def test_every_module_a_package_docstring_names_exists(package: str, folder: Path) -> None:
    assert _names(package, folder) == []


def _text_files() -> list[Path]:
    files = []
    for path in REPO.rglob("*"):
        if SKIP_DIRS.intersection(path.relative_to(REPO).parts) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in {"Makefile", "Dockerfile"} or "deploy" in path.parts:
            files.append(path)
    return files


def test_nothing_cites_notes_outside_the_repository() -> None:
    citing = [
        f"{path.relative_to(REPO)}:{number}"
        for path in _text_files()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE_NOTES.search(line)
    ]
    assert citing == []


def _has_section(doc: Path, where: str) -> bool:
    text = doc.read_text(encoding="utf-8")
    if where.startswith("§"):
        return re.search(rf"^#+ {where[1:].strip()}\. ", text, re.MULTILINE) is not None
    return re.search(rf"^{where.split()[1]}\. \*\*", text, re.MULTILINE) is not None


def test_every_cited_doc_and_section_exists() -> None:
    broken = []
    for path in _text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for name, where in DOC_CITE.findall(line):
                doc = REPO / "docs" / name
                if not doc.exists() or (where and not _has_section(doc, where)):
                    broken.append(f"{path.relative_to(REPO)}:{number}: docs/{name} {where}".rstrip())
    assert broken == []


START_ROW = re.compile(r"^\| \d \| `(\w+)` \| (.+) \|$", re.MULTILINE)


def test_the_architecture_doc_gives_the_start_order_the_wiring_uses(config: PlantConfig) -> None:
    """The stage table of docs/architecture.md lists the services as ``build_runtime`` adds them."""
    environ = {
        "CHAUFFERIE_SECRET_KEY": "docs-test-signing-key-0123456789",
        "CHAUFFERIE_OPCUA_USER": "chaufferie",
        "CHAUFFERIE_OPCUA_PASSWORD": "docs-test-password",
    }
    runtime = build_runtime(config, environ=environ, port=free_port())
    try:
        order = [stage.value for stage in StageName]
        started = sorted(runtime.system.entries, key=lambda e: order.index(e.stage))
        wired = [(e.stage.value, e.name) for e in started]
    finally:
        runtime.alarms.store.close()
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = [
        (stage, name) for stage, cell in START_ROW.findall(text) for name in re.findall(r"`([\w-]+)`", cell)
    ]
    assert documented == wired
