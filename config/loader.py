"""Load a plant configuration from YAML, with errors that point at the line.

Every problem is reported as ``file:line: field.path: problem (value)``, whether it comes
from YAML syntax, from a pydantic model, or from a cross-reference rule. Nothing is
repaired silently: a bad file is refused as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chaufferie.config.settings import PlantConfig, Problem, cross_references

Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """A configuration file that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, file: str, issues: list[ConfigIssue]) -> None:
        self.file = file
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    field: str
    problem: str
    value: Any = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        shown = "" if self.value is None else f" ({self.value!r})"
        return f"{where}: {self.field}: {self.problem}{shown}"


def default_config_path() -> Path:
    """The plant configuration shipped with the package (``joucas.yaml``)."""
    return Path(str(resources.files("chaufferie.config").joinpath("joucas.yaml")))


def load_config(path: str | Path | None = None, **overrides: Any) -> PlantConfig:
    """Read, validate and cross-check a YAML configuration file.

    ``overrides`` replace top-level keys after reading (``data_dir`` for tests and demos).
    Raises :class:`ConfigError` listing every problem.
    """
    path = Path(path) if path is not None else default_config_path()
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(name, [ConfigIssue(name, None, "(file)", f"cannot read: {exc.strerror}")]) from exc
    return parse_config(text, name, **overrides)


def parse_config(text: str, name: str = "<config>", **overrides: Any) -> PlantConfig:
    """Validate configuration ``text`` (YAML); ``name`` is used in error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else _reader_line(text, exc)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(name, [ConfigIssue(name, line, "(yaml)", problem)]) from exc
    if not isinstance(data, dict):
        raise ConfigError(name, [ConfigIssue(name, 1, "(root)", "expected a mapping of sections")])
    lines = _line_index(node)
    data.update(overrides)
    try:
        cfg = PlantConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(name, [_from_pydantic(name, err, lines) for err in exc.errors()]) from exc
    problems = cross_references(cfg)
    if problems:
        raise ConfigError(name, [_from_problem(name, p, lines) for p in problems])
    return cfg


def _reader_line(text: str, exc: yaml.YAMLError) -> int | None:
    """The line of a character the YAML reader refused (its error has a position, no mark)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return text.count("\n", 0, exc.position) + 1
    return None


def _line_index(node: yaml.Node | None) -> dict[Path_, int]:
    """Map every key path of the YAML document to its 1-based line."""
    index: dict[Path_, int] = {}

    def walk(n: yaml.Node, path: Path_) -> None:
        index[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                child = (*path, str(key.value))
                index[child] = key.start_mark.line + 1
                walk(value, child)
                index[child] = key.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return index


def _nearest_line(path: Path_, lines: dict[Path_, int]) -> int | None:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def _field_name(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _from_pydantic(name: str, err: Any, lines: dict[Path_, int]) -> ConfigIssue:
    # Drop the discriminator tags pydantic inserts (e.g. 'modbus', 'point') from the path.
    loc: Path_ = tuple(
        p for i, p in enumerate(err["loc"]) if not (i > 0 and isinstance(p, str) and _is_tag(err["loc"], i))
    )
    value = err.get("input")
    if isinstance(value, dict | list):
        value = None
    problem = str(err["msg"])
    if err["type"] == "missing":
        problem = "missing field"
    return ConfigIssue(name, _nearest_line(loc, lines), _field_name(loc), problem, value)


_TAGS = {
    "modbus",
    "opcua",
    "mbus",
    "system",
    "point",
    "deviation",
    "increase",
    "bad_quality",
    "link_down",
    "event",
    "internal",
}


def _is_tag(loc: tuple[Any, ...], i: int) -> bool:
    """Is ``loc[i]`` a discriminator tag that pydantic inserted, not a key of the file?"""
    if loc[i - 1] in ("source", "condition"):
        return loc[i] in _TAGS
    return i >= 2 and loc[i - 2] == "links" and loc[i] in ("modbus", "opcua", "mbus")


def _from_problem(name: str, p: Problem, lines: dict[Path_, int]) -> ConfigIssue:
    return ConfigIssue(name, _nearest_line(p.path, lines), _field_name(p.path), p.message, p.value)
