"""Settings changed from the HMI, kept: the settings store and the saved overrides.

:class:`FileSettingsStore` is what the settings page saves through. A change
of a section (``cascade``: thresholds and heating curve; ``season``: the heating season's dates
and summer mode; ``rota``; ``contacts``: one contact)
is merged into the section in force and validated by the configuration's own models and
cross-reference rules; a refused change returns ``Outcome(False, message)`` and nothing is
written. An accepted one is written to ``<data_dir>/settings-overrides.json`` (temporary file,
then rename: a crash leaves the old file or the new one, never half of one), then put in force
by :meth:`~chaufferie.config.live.LiveConfig.replace`, which the supervisor and the alarms
read (it publishes ``ConfigChanged``); the HMI writes the audit record.

At start :func:`apply_saved_overrides` applies the saved file to the configuration read from
YAML, so a restart keeps the changes. A file that no longer validates (a value out of range,
infinity, an unknown contact, damaged JSON) is set aside as
``settings-overrides.rejected-<UTC time>.json`` and reported (log, and a notice on the
settings page through :attr:`FileSettingsStore.notice`); the sections that did validate are
kept, and the plant starts anyway.

File shape: ``{"cascade": {field: value}, "season": {field: value}, "rota": {field: value},
"contacts": {id: {...}}}``
(only the fields changed, so the YAML still decides every other one).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaufferie.alarms.people import PeopleChangeError, first_error, with_people_change
from chaufferie.config.live import LiveConfig
from chaufferie.config.plant import CascadeSettings
from chaufferie.config.points import Frozen
from chaufferie.config.season import SeasonSettings
from chaufferie.config.settings import PlantConfig, section_problems
from chaufferie.config.vocabulary import Context
from chaufferie.hmi.records import Outcome

log = logging.getLogger(__name__)

OVERRIDES_FILE = "settings-overrides.json"
ORDER = ("cascade", "season", "contacts", "rota")
"""Sections in the order they are applied at start (a rota may name a contact added live)."""
MODEL_SECTIONS: dict[str, type[Frozen]] = {"cascade": CascadeSettings, "season": SeasonSettings}
"""Sections changed field by field and validated by their own model."""

MESSAGES: dict[str, dict[str, str]] = {
    "unknown_section": {
        "fr": "section de réglages inconnue : {section}",
        "en": "unknown settings section: {section}",
    },
    "rejected": {
        "fr": "réglages enregistrés refusés au démarrage, mis de côté dans {path} : {problems}",
        "en": "saved settings refused at start, set aside in {path}: {problems}",
    },
    "write_failed": {
        "fr": "réglage non enregistré (écriture de {path} impossible)",
        "en": "setting not saved (cannot write {path})",
    },
}


def message(key: str, **values: Any) -> str:
    """French first, English second, from :data:`MESSAGES`."""
    return " / ".join(MESSAGES[key][lang].format(**values) for lang in ("fr", "en"))


def overrides_path(cfg: PlantConfig) -> Path:
    return cfg.data_path(OVERRIDES_FILE)


def apply_change(
    cfg: PlantConfig, section: str, values: Mapping[str, Any]
) -> tuple[PlantConfig, dict[str, Any]]:
    """``cfg`` with the change applied, and what to store for it; ``ValueError`` if refused."""
    model = MODEL_SECTIONS.get(section)
    if model is not None:
        try:
            changed_section = model.model_validate({**getattr(cfg, section).model_dump(), **values})
        except ValidationError as exc:
            raise ValueError(first_error(exc)) from exc
        changed_cfg = cfg.model_copy(update={section: changed_section})
        problems = section_problems(changed_cfg, section)
        if problems:
            raise ValueError(str(problems[0]))
        dumped = changed_section.model_dump(mode="json")
        return changed_cfg, {k: dumped[k] for k in values}
    if section not in ("rota", "contacts"):
        raise ValueError(message("unknown_section", section=section))
    try:
        changed = with_people_change(cfg, section, values)
    except PeopleChangeError as exc:
        raise ValueError(str(exc)) from exc
    if section == "rota" and changed.rota is not None:
        dumped = changed.rota.model_dump(mode="json")
        return changed, {k: dumped[k] for k in values}
    contact = next(c for c in changed.contacts if c.id == values["id"])
    return changed, {contact.id: contact.model_dump(mode="json")}


def read_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """The saved overrides (empty when there is no file or it is damaged: see :func:`_read`)."""
    return _read(path)[0]


def _read(path: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The saved overrides and the problems that make the file unusable as it is."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError) as exc:
        return {}, [f"unreadable: {exc}"]
    if not isinstance(data, dict):
        return {}, ["not a JSON object"]
    sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    return sections, [f"{k}: not a JSON object" for k in data if k not in sections]


def write_overrides(path: Path, overrides: Mapping[str, Any]) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(overrides, out, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Rejected:
    """A saved overrides file that no longer validated at start, and where it was put."""

    set_aside: Path
    problems: tuple[str, ...]

    def notice(self) -> str:
        """What the administrator reads on the settings page (French / English)."""
        return message("rejected", path=self.set_aside.name, problems="; ".join(self.problems))


def apply_saved_overrides(
    cfg: PlantConfig, now: datetime | None = None
) -> tuple[PlantConfig, Rejected | None]:
    """``cfg`` with the saved overrides applied, and what was rejected.

    Each section is validated as a change made from the HMI would be. When any part fails
    (infinity, a value out of range, an unknown contact, a damaged file), the file is renamed
    ``settings-overrides.rejected-<UTC time>.json`` (kept for the administrator, never read
    again), the sections that did validate are written back as the new overrides file, and
    the plant starts on them: a bad file never stops the start nor breaks a page.
    """
    path = overrides_path(cfg)
    saved, problems = _read(path)
    kept: dict[str, dict[str, Any]] = {}
    for section in ORDER:
        entries = saved.get(section) or {}
        changes = entries.values() if section == "contacts" else [entries] if entries else []
        for values in changes:
            try:
                cfg, stored = apply_change(cfg, section, values)
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{section}: {exc}")
            else:
                kept.setdefault(section, {}).update(stored)
    problems += [f"{name}: unknown section" for name in saved if name not in ORDER]
    if not problems:
        if saved:
            log.info("settings overrides applied from %s: %s", path, ", ".join(sorted(saved)))
        return cfg, None
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = _free_name(path, f"{path.stem}.rejected-{stamp}", path.suffix)
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.error("settings overrides %s could not be set aside: %s", path, exc)
    if kept:
        write_overrides(path, kept)
    log.error("settings overrides %s rejected, set aside as %s: %s", path, aside.name, "; ".join(problems))
    return cfg, Rejected(aside, tuple(problems))


def _free_name(path: Path, stem: str, suffix: str) -> Path:
    """``stem + suffix`` next to ``path``, or ``stem-2 + suffix``... if it is taken."""
    candidate, n = path.with_name(stem + suffix), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{stem}-{n}{suffix}")
    return candidate


class FileSettingsStore:
    """Validates against the config in force, persists the overrides as JSON,
    then puts the change in force with :meth:`LiveConfig.replace` (which announces it)."""

    def __init__(self, live: LiveConfig, path: Path | None = None, rejected: Rejected | None = None) -> None:
        """``live`` holds the configuration in force (saved overrides already applied);
        ``rejected`` what :func:`apply_saved_overrides` set aside, shown as :attr:`notice`."""
        self.live = live
        self.path = path or overrides_path(live.current)
        self.notice = rejected.notice() if rejected is not None else None
        self.overrides = read_overrides(self.path)
        self._lock = asyncio.Lock()

    async def save(self, section: str, values: Mapping[str, Any], context: Context) -> Outcome:
        async with self._lock:
            try:
                cfg, stored = apply_change(self.live.current, section, values)
                value = getattr(cfg, section)
                self.live.validated(section, value)
            except (ValueError, KeyError) as exc:
                log.info("settings %s from %s refused: %s", section, context.user, exc)
                return Outcome(False, str(exc))
            overrides = {**self.overrides, section: {**self.overrides.get(section, {}), **stored}}
            try:
                await asyncio.to_thread(write_overrides, self.path, overrides)
            except OSError as exc:
                log.error("settings %s from %s not saved: %s", section, context.user, exc)
                return Outcome(False, message("write_failed", path=self.path))
            self.overrides = overrides
            self.live.replace(section, value, context)
        log.info("settings %s changed by %s: %s", section, context.user, ", ".join(sorted(stored)))
        return Outcome(True)
