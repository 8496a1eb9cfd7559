"""Tell the service manager that ``chaufferie run`` is up and alive, and spot a stalled loop.

Under systemd (``Type=notify``, ``WatchdogSec=``: see ``deploy/chaufferie.service`` and
docs/admin-guide.md) the process sends ``READY=1`` once every stage has started, then
``WATCHDOG=1`` while its event loop answers, and ``STOPPING=1`` when asked to stop. The
messages follow the sd_notify protocol (one datagram per message on the ``AF_UNIX`` socket
named by ``NOTIFY_SOCKET``; an address starting with ``@`` is in the abstract namespace), as
systemd documents it; without ``NOTIFY_SOCKET`` nothing is sent.

:class:`LoopWatch` pets the watchdog from a thread, and only while the event loop has run a
tick of its own within ``stall_s``: a hung loop (a blocking call, a deadlock) stops the petting,
so systemd kills the process after ``WatchdogSec`` and restarts it (``Restart=on-failure``,
bounded by ``StartLimitBurst``). The first time the loop is seen stalled, the loop thread's
stack is logged, so the log says which call held it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from types import TracebackType

log = logging.getLogger(__name__)

DEFAULT_STALL_S = 10.0


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``READY=1``) to the service manager; False when there is none."""
    path = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
        except OSError as exc:
            log.warning("could not notify the service manager (%s): %s", path, exc)
            return False
    return True


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """Half the watchdog period systemd asks for (``WATCHDOG_USEC``), or None without one."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6


class LoopWatch:
    """A thread that pets the watchdog while the loop answers, and says when it does not."""

    def __init__(
        self,
        every_s: float | None,
        stall_s: float = DEFAULT_STALL_S,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.every_s = every_s
        self.stall_s = stall_s
        self.environ = environ
        self.stalls = 0
        self._tick = time.monotonic()
        self._loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ticker: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopWatch:
        self._loop_thread = threading.get_ident()
        self._tick = time.monotonic()
        self._ticker = asyncio.create_task(self._ticks(), name="loop-watch")
        self._thread = threading.Thread(target=self._watch, name="loop-watch", daemon=True)
        self._thread.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.cancel()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)

    async def _ticks(self) -> None:
        period = min(1.0, self.stall_s / 4)
        while True:
            self._tick = time.monotonic()
            await asyncio.sleep(period)

    def _watch(self) -> None:
        period = min(self.every_s or 1.0, self.stall_s / 4)
        stalled = False
        next_pet = 0.0
        while not self._stop.wait(period):
            now = time.monotonic()
            silent = now - self._tick
            if silent >= self.stall_s:
                if not stalled:
                    stalled = True
                    self.stalls += 1
                    log.error(
                        "event loop stalled for %.0f s (watchdog not petted); it is at:\n%s",
                        silent,
                        self._loop_stack(),
                    )
                continue
            if stalled:
                stalled = False
                log.warning("event loop answers again after a stall")
            if self.every_s is not None and now >= next_pet:
                next_pet = now + self.every_s
                notify("WATCHDOG=1", self.environ)

    def _loop_stack(self) -> str:
        frame = sys._current_frames().get(self._loop_thread)
        return "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)"
