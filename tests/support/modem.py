"""A simulated GSM modem for tests, and what a test needs around it.

:func:`simulated_modem` starts a :class:`~chaufferie.simulations.modem.ModemSimulator` whose
port is the symlink ``link`` and stops it after (sync or async ``with``); the ``modem_sim``
fixture gives one at ``tmp_path / "modem"``. :func:`modem_settings` points a
:class:`~chaufferie.config.alarming.ModemSettings` at it, :data:`PIN_ENV` names the PIN's
variable for :func:`modem_environ`, :func:`outbox_item` makes a message to send,
:func:`gammurc` a configuration file for the ``gammu`` command-line tool::

    from tests.support.modem import modem_sim  # noqa: F401  (fixture)

    async def test_x(modem_sim):
        modem = GsmModem(modem_settings(modem_sim), modem_environ())
        await modem.send(outbox_item("Chaudière en défaut"))
        assert modem_sim.messages()[0].text == "Chaudière en défaut"

The simulator answers at once, so what a test waits for is Gammu: about 5 s to connect
(Gammu writes slowly while it probes an ``at`` device), 0.7 s a part to send.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import time
import tty
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chaufferie.alarms.store import OutboxItem
from chaufferie.config.alarming import ModemSettings
from chaufferie.simulations.modem import ModemSimulator

PIN = "4321"
PIN_ENV = "CHAUFFERIE_TEST_MODEM_PIN"
RECIPIENT = "+33612345678"


@contextmanager
def simulated_modem(link: Path, **options: Any) -> Iterator[ModemSimulator]:
    """A started simulator at ``link`` (options: see ModemSimulator), stopped on exit."""
    sim = ModemSimulator(link, **options)
    with sim:
        yield sim


@pytest.fixture
def modem_sim(tmp_path: Path) -> Iterator[ModemSimulator]:
    with simulated_modem(tmp_path / "modem") as sim:
        yield sim


def modem_settings(sim: ModemSimulator | Path | str, **overrides: Any) -> ModemSettings:
    """Settings for the driver: the simulator's link, a PIN variable of ours, a short timeout."""
    device = str(sim.link if isinstance(sim, ModemSimulator) else sim)
    values: dict[str, Any] = {"device": device, "pin_env": PIN_ENV, "timeout_s": 10.0} | overrides
    return ModemSettings(**values)


def modem_environ(pin: str | None = PIN) -> dict[str, str]:
    return {} if pin is None else {PIN_ENV: pin}


def outbox_item(text: str, address: str = RECIPIENT, key: str | None = None) -> OutboxItem:
    return OutboxItem(
        key=key or f"test-{uuid.uuid4().hex}",
        channel="modem",
        contact_id="astreinte",
        address=address,
        subject="Alarme",
        text=text,
    )


def gammurc(sim: ModemSimulator, directory: Path) -> Path:
    """A gammurc for the ``gammu`` tool: the simulator's link, AT connection, a debug log."""
    path = directory / "gammurc"
    log = directory / "gammu.log"
    path.write_text(f"[gammu]\ndevice = {sim.link}\nconnection = at\nlogformat = textall\nlogfile = {log}\n")
    return path


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true (True) or ``timeout`` seconds (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


async def wait_until_async(predicate: Callable[[], bool], within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


_FINAL = re.compile(rb"\r\n(?:OK|ERROR|\+CM[ES] ERROR: [^\r]*)\r\n$|\r\n> $")


class AtPort:
    """A terminal on the modem's port: AT commands typed, answers read (for tests of the AT level)."""

    def __init__(self, path: Path | str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def read_until(self, pattern: re.Pattern[bytes] = _FINAL, timeout: float = 3.0) -> bytes:
        """Everything read until ``pattern`` matches (AssertionError after ``timeout``)."""
        data = b""
        deadline = time.monotonic() + timeout
        while not pattern.search(data):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no answer matching {pattern.pattern!r}, got {data!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                data += os.read(self.fd, 4096)
        return data

    def command(self, line: str, timeout: float = 3.0) -> str:
        """Type ``line`` and Enter; the answer up to its final result (echo included)."""
        self.write(line.encode("latin-1") + b"\r")
        return self.read_until(timeout=timeout).decode("latin-1")

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> AtPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
