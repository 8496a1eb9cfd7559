"""Shared fixtures: the default configuration, a virtual clock, a bus, free ports and tools."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.loader import default_config_path, load_config
from chaufferie.config.settings import PlantConfig

REQUIRE_TOOLS = os.environ.get("CHAUFFERIE_REQUIRE_TOOLS") == "1"
ARTIFACTS = Path(__file__).parent / "artifacts"


def require_tool(name: str, why: str = "") -> str:
    """Path of a system tool; skip the test when it is missing (fail under CI's flag)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not installed{': ' + why if why else ''} (run .ci/run to install it)"
        if REQUIRE_TOOLS:
            pytest.fail(f"CHAUFFERIE_REQUIRE_TOOLS=1 but {message}")
        pytest.skip(message)
    return path


TEST_PORTS = os.environ.get("CHAUFFERIE_TEST_PORTS", "10000-32000")
"""The ports this test process takes its servers' ports from (``first-last``): below Linux's
ephemeral range (32768–60999), which ``bind(0)`` hands out to anyone, and split between the
two pytest processes ``make test`` runs side by side, so none takes a port the other was just
given (between ``free_port()`` and the server's bind, a port is free for everyone)."""


def _port_range() -> range:
    first, _, last = TEST_PORTS.partition("-")
    return range(int(first), int(last))


_ports = _port_range()
_port_cursor = itertools.count(random.randrange(len(_ports)))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, from this process's range (:data:`TEST_PORTS`),
    taken in turn so a port just released by a test is not handed out again at once."""
    for _ in range(len(_ports)):
        port = _ports[next(_port_cursor) % len(_ports)]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {TEST_PORTS} (CHAUFFERIE_TEST_PORTS)")


@pytest.fixture(scope="session")
def config_path() -> Path:
    return default_config_path()


@pytest.fixture
def config(tmp_path: Path) -> PlantConfig:
    """The shipped Joucas configuration with its data folder in a temporary directory."""
    return load_config(default_config_path(), data_dir=str(tmp_path / "data"))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(datetime(2026, 1, 12, 2, 0, tzinfo=UTC))


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
