"""The link's username/password login tells nobody which accounts exist.

A locked account, a disabled one and a name that does not exist answer with the same
status and page and take the same time (the hash is checked in every case). The accounts
are locked from other addresses first (through a trusted proxy), so that the address of the
comparison itself is not locked.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.settings import PlantConfig
from tests.access.conftest import SETUP, RecordingCommands, Site, csrf_of, open_site, path_of

ROUNDS = 7
TIME_FACTOR = 3.0


@pytest.fixture
async def proxied_site(
    config: PlantConfig, clock: VirtualClock, bus: Bus, tmp_path: Path
) -> AsyncIterator[Site]:
    hmi = config.hmi.model_copy(update={"trusted_proxies": ("127.0.0.1",)})
    cfg = config.model_copy(update={"hmi": hmi})
    async with open_site(cfg, clock, bus, tmp_path, RecordingCommands(clock)) as opened:
        yield opened


async def attempt(site: Site, link: str, username: str, address: str) -> tuple[int, str, float]:
    """One password login from ``address``: status, page without its CSRF token, seconds."""
    headers = {"X-Forwarded-For": address}
    async with httpx.AsyncClient(base_url=site.base_url, headers=headers) as client:
        page = await client.get(path_of(link))
        form = {"csrf": csrf_of(page.text), "username": username, "password": "not the password"}
        start = time.perf_counter()
        answer = await client.post(f"{path_of(link)}/login", data=form)
        elapsed = time.perf_counter() - start
    return answer.status_code, re.sub(r'name="csrf" value="[^"]+"', "", answer.text), elapsed


async def test_locked_disabled_and_unknown_accounts_answer_alike(proxied_site: Site) -> None:
    site = proxied_site
    occ = site.raise_alarm("CHB-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    for n in range(site.cfg.hmi.login_max_failures):  # lock bernard's account from five addresses
        await attempt(site, link, "bernard", f"192.0.2.{n + 1}")
    locked = site.store.get_user("bernard")
    assert locked is not None
    assert locked.locked_until is not None
    site.services.users.set_disabled("durand", True, SETUP)
    answers: dict[str, list[tuple[int, str, float]]] = {"bernard": [], "durand": [], "nobody": []}
    for n in range(ROUNDS):
        for i, name in enumerate(answers):  # each from its own address: no address gets locked
            answers[name].append(await attempt(site, link, name, f"198.51.100.{10 * n + i + 1}"))
    statuses = {name: {status for status, _, _ in tries} for name, tries in answers.items()}
    assert statuses == {"bernard": {401}, "durand": {401}, "nobody": {401}}
    pages = {page for tries in answers.values() for _, page, _ in tries}
    assert len(pages) == 1
    medians = {name: statistics.median(t for _, _, t in tries) for name, tries in answers.items()}
    assert max(medians.values()) < TIME_FACTOR * min(medians.values()), medians
    reasons = [a.details.get("reason") for a in site.actions() if a.kind.value == "login_failed"]
    assert reasons.count("locked") == ROUNDS + 1  # the audit keeps the real reason
    assert reasons.count("disabled") == ROUNDS
