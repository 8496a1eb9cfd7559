"""Fuzzing the configuration loader: the shipped ``joucas.yaml`` with random fields replaced by
random values, of the right type or not. Either it loads, or it raises ``ConfigError`` whose
every issue names the file, a line and a field; never any other exception."""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from chaufferie.config.loader import ConfigError, default_config_path, load_config
from chaufferie.config.settings import PlantConfig
from tests.fuzz.support import FUZZ

Key = str | int
ORIGINAL: dict[str, Any] = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))


def leaves(node: Any, path: tuple[Key, ...] = ()) -> list[tuple[tuple[Key, ...], Any]]:
    """Every (path, value) of the document, containers included (they can be replaced too)."""
    found = [(path, node)] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += leaves(value, (*path, i))
    return found


LEAVES = leaves(ORIGINAL)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "1e400", "nan", "tech-martin", "CHB-DEF", "07:30", "Europe/Nowhere"]),
)
ANY_VALUE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)


def like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same type as ``value`` (often still wrong: out of range, unknown name)."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(min_value=-(2**40), max_value=2**40)
    if isinstance(value, float):
        return st.floats()
    if isinstance(value, str):
        return st.text(max_size=20) | st.just(value + "x")
    if isinstance(value, list):
        return st.lists(ANY_VALUE, max_size=2)
    return ANY_VALUE


MUTATION = st.sampled_from(LEAVES).flatmap(
    lambda leaf: st.tuples(st.just(leaf[0]), st.one_of(like(leaf[1]), ANY_VALUE))
)


def mutated(changes: list[tuple[tuple[Key, ...], Any]]) -> dict[str, Any]:
    """A copy of the shipped document with each (path, value) of ``changes`` set, in order
    (a path that an earlier change cut short is skipped)."""
    data = copy.deepcopy(ORIGINAL)
    for path, value in changes:
        parent: Any = data
        for key in path[:-1]:
            parent = _child(parent, key)
        if _child(parent, path[-1]) is not _MISSING:
            parent[path[-1]] = value
    return data


_MISSING = object()


def _child(node: Any, key: Key) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return _MISSING


def load(text: str) -> PlantConfig | ConfigError:
    """The configuration ``text`` describes, or the error refusing it (checked to name the file,
    a line and a field for every problem); any other exception fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plant.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            cfg = load_config(path, data_dir=folder)
        except ConfigError as error:
            return well_located(error, path)
    ZoneInfo(cfg.site.timezone)  # what every local time needs at run time
    return cfg


def well_located(error: ConfigError, path: Path) -> ConfigError:
    assert error.issues, "a ConfigError must list its problems"
    for issue in error.issues:
        assert issue.file == str(path)
        assert issue.line is not None, str(issue)
        assert issue.line >= 1, str(issue)
        assert issue.field, str(issue)
        assert str(issue).startswith(f"{path}:{issue.line}: {issue.field}: ")
    return error


@settings(FUZZ, max_examples=50)  # each example parses 360 lines of YAML twice (about 0.1 s)
@given(st.lists(MUTATION, min_size=1, max_size=4))
def test_a_mutated_configuration_loads_or_is_refused_with_file_line_and_field(
    changes: list[tuple[tuple[Key, ...], Any]],
) -> None:
    text = yaml.dump(mutated(changes), Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    event("loads" if isinstance(load(text), PlantConfig) else "refused")


@FUZZ
@given(st.text(max_size=200))
@example("site:\n  id: joucas\x1f\n")  # a control character: the YAML reader's error has no mark
def test_random_text_loads_or_is_refused_with_a_line(text: str) -> None:
    load(text)


def test_the_mutation_reaches_every_section() -> None:
    assert {path[0] for path, _ in LEAVES} == set(ORIGINAL)


def test_an_unknown_time_zone_is_refused_at_load_not_at_the_first_local_time() -> None:
    refused = load(yaml.safe_dump(mutated([(("site", "timezone"), "Europe/Nowhere")])))
    assert isinstance(refused, ConfigError)
    assert re.search(r"plant\.yaml:\d+: site\.timezone: .*unknown time zone", str(refused))
