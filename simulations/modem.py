"""A GSM modem on a pseudo-terminal, for the SMS channel's tests, the demo and commissioning drills.

Owns :class:`ModemSimulator`: the AT modem of :mod:`.modem_at` behind a pty whose slave end
is reached through a stable path, a symlink the caller names (as udev names a USB modem's
port), re-pointed when the modem is plugged again. It runs in its own thread, so that it
answers whatever the caller's thread does (Gammu blocks its thread; a test may block its
event loop); every public method is safe from any thread.

Faults, at any moment: :meth:`~ModemSimulator.no_network` (registration lost, sends refused
with ``+CMS ERROR: 331``), :meth:`~ModemSimulator.cms_error` (the next sends refused),
:meth:`~ModemSimulator.slow` (a delay before each answer), :meth:`~ModemSimulator.unplug` and
:meth:`~ModemSimulator.plug` (the pty closed — the port's user gets EIO/hang-up as from a
pulled USB modem — and a new one, the link re-pointed, the SIM locked again when it has a
PIN), :meth:`~ModemSimulator.unplug_during_send` (dies at the next send's Ctrl-Z, before or
after submitting it), :meth:`~ModemSimulator.signal`, :meth:`~ModemSimulator.set_sim`.
The network side: :attr:`~ModemSimulator.sent` (every SMS submitted, decoded),
:meth:`~ModemSimulator.messages` (parts joined), :meth:`~ModemSimulator.deliver` (an SMS
arrives on the SIM, ``+CMTI`` when AT+CNMI asks for it).

As a process: :func:`main` (``chaufferie sim-modem --link PATH``) runs :func:`serve`, with an
optional control socket (Unix, mode 0600): one JSON object a line, ``{"op": "deliver",
"sender": "+33…", "text": "…"}``, ``{"op": "sent"}``, ``{"op": "no_network"}``… (see
:data:`CONTROL_OPS`), answered ``{"ok": true, "result": …}``.
May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import errno
import fcntl
import json
import logging
import os
import queue
import selectors
import signal as signals
import sys
import termios
import threading
import time
import tty
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from chaufferie.simulations.modem_at import (
    Answer,
    AtEngine,
    Concat,
    Effect,
    Hangup,
    Identity,
    NetworkMessage,
    Registration,
    SimState,
    StoredSms,
    SubmittedSms,
    join_parts,
)

__all__ = [
    "CONTROL_OPS",
    "Concat",
    "Identity",
    "ModemSimulator",
    "NetworkMessage",
    "Registration",
    "SimState",
    "StoredSms",
    "SubmittedSms",
    "join_parts",
    "main",
    "serve",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
_MAX_PENDING = 1 << 20


class ModemSimulator:
    """A simulated GSM modem reached at ``link`` (see the module docstring).

    ``pin``: the SIM asks for it at power-on (``sim`` then starts ``"pin"``);
    ``pdu_mode=False``: a modem that speaks SMS text mode only (AT+CMGF=0 refused);
    ``delivery_reports``: the network answers a SUBMIT that asks for a status report.
    Other options: see :class:`.modem_at.AtEngine`.
    """

    def __init__(self, link: str | os.PathLike[str], *, slow_s: float = 0.0, **options: Any) -> None:
        self.link = Path(link)
        self.engine = AtEngine(**options)
        self._slow = slow_s
        self._master: int | None = None
        self._slave: int | None = None
        self._device = ""
        self._out: deque[tuple[float, bytes]] = deque()
        self._pending = bytearray()
        self._selector: selectors.BaseSelector | None = None
        self._wake_r, self._wake_w = -1, -1
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._registered_before: Registration = self.engine.registration

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> ModemSimulator:
        """Plug the modem in and answer on its own thread."""
        if self._thread is not None:
            return self
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._plug()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"modem-sim {self.link.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Unplug the modem and stop its thread."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._wake()
        thread.join(5)
        self._thread = None
        self._unplug()
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> ModemSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> ModemSimulator:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- what it is -------------------------------------------------------------------------
    @property
    def device(self) -> str:
        """The pty's slave path the link points to ('' while unplugged)."""
        return self._device

    @property
    def plugged(self) -> bool:
        return self._master is not None

    @property
    def sent(self) -> list[SubmittedSms]:
        """Every SMS (part) the modem submitted to the network, oldest first."""
        return self._call(lambda: list(self.engine.sent))

    def messages(self) -> list[NetworkMessage]:
        """The network log as whole messages (concatenated parts joined)."""
        return join_parts(self.sent)

    def stored(self) -> dict[int, StoredSms]:
        """The SIM's message store by index (copies)."""
        return self._call(lambda: {i: dataclasses.replace(s) for i, s in self.engine.store.items()})

    @property
    def commands(self) -> list[str]:
        """The AT command lines received, oldest first (the last 2000)."""
        return self._call(lambda: list(self.engine.commands))

    def state(self) -> dict[str, Any]:
        """A summary for the control socket and for humans."""

        def read() -> dict[str, Any]:
            e = self.engine
            return {
                "link": str(self.link),
                "device": self._device,
                "plugged": self.plugged,
                "sim": e.sim,
                "registration": e.network_state,
                "rssi": e.rssi,
                "slow_s": self._slow,
                "stored": len(e.store),
                "sent": len(e.sent),
            }

        return self._call(read)

    # -- the network side ---------------------------------------------------------------------
    def deliver(self, sender: str, text: str, when: datetime | None = None) -> list[int]:
        """An SMS from ``sender`` arrives: stored on the SIM (UCS-2 if needed, in parts if long)."""

        def run() -> list[int]:
            indexes, effects = self.engine.deliver(sender, text, when)
            self._apply(effects)
            return indexes

        return self._call(run)

    # -- faults -----------------------------------------------------------------------------
    def no_network(self, on: bool = True, state: Registration = "searching") -> None:
        """Lose the network (registration ``state``; sends refused) or, ``on=False``, get it back."""

        def run() -> None:
            if on:
                if self.engine.registration in ("home", "roaming"):
                    self._registered_before = self.engine.registration
                self.engine.registration = state
            else:
                self.engine.registration = self._registered_before

        self._call(run)

    def set_registration(self, state: Registration) -> None:
        self._call(lambda: setattr(self.engine, "registration", state))

    def cms_error(self, code: int, times: int = 1, *, skip: int = 0) -> None:
        """Refuse ``times`` sends with ``+CMS ERROR: <code>``, after letting ``skip`` sends through."""
        self._call(lambda: self.engine.cms_errors.extend([None] * skip + [code] * times))

    def clear(self) -> None:
        """Forget the SIM's messages, the network log and the pending faults (not the SIM state)."""

        def run() -> None:
            e = self.engine
            e.store.clear()
            e.sent.clear()
            e.commands.clear()
            e.cms_errors.clear()
            e.hangup_on_send = None

        self._call(run)

    def slow(self, seconds: float) -> None:
        """Wait ``seconds`` before each answer (0: answer at once)."""
        self._slow = max(0.0, seconds)

    def signal(self, rssi: int) -> None:
        """The AT+CSQ signal: 0–31, or 99 (unknown)."""
        if not (0 <= rssi <= 31 or rssi == 99):
            raise ValueError(f"rssi must be 0-31 or 99, got {rssi}")
        self._call(lambda: setattr(self.engine, "rssi", rssi))

    def set_sim(self, state: SimState) -> None:
        """The SIM is ready, asks for its PIN or PUK, or is absent."""
        self._call(lambda: setattr(self.engine, "sim", state))

    def unplug(self) -> None:
        """Pull the modem out: the pty closes, the link disappears."""
        self._call(self._unplug)

    def plug(self) -> None:
        """Plug it back: a new pty, the link re-pointed, the settings at power-on values."""
        self._call(self._plug)

    def unplug_during_send(self, *, after_submit: bool = False) -> None:
        """Die at the next send's Ctrl-Z, before submitting it (nothing sent) or after (sent, unanswered)."""
        self._call(lambda: setattr(self.engine, "hangup_on_send", "after" if after_submit else "before"))

    # -- the thread -----------------------------------------------------------------------------
    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the modem's thread (directly when it is not running or is the caller)."""
        thread = self._thread
        if thread is None or threading.current_thread() is thread or not thread.is_alive():
            return fn()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._calls.put((fn, future))
        self._wake()
        return future.result(timeout=10)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        selector = self._selector
        while selector is not None and not self._stopping:
            self._shared()
            timeout = 0.5
            if self._out:
                timeout = max(0.0, min(timeout, self._out[0][0] - time.monotonic()))
            for key, mask in selector.select(timeout):
                if key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    self._run_calls()
                elif key.fd == self._master:
                    if mask & selectors.EVENT_READ:
                        self._read()
                    if mask & selectors.EVENT_WRITE and self._master is not None:
                        self._flush()
            self._release_due()
        self._run_calls()

    def _run_calls(self) -> None:
        while True:
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

    def _read(self) -> None:
        if self._master is None:
            return
        self._shared()
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno != errno.EIO:
                log.warning("modem simulator: read error %s", exc)
            return
        self._apply(self.engine.feed(data))

    def _apply(self, effects: list[Effect]) -> None:
        now = time.monotonic()
        for effect in effects:
            if isinstance(effect, Hangup):
                log.info("modem simulator: unplugged during a send")
                self._unplug()
                return
            last = self._out[-1][0] if self._out else now
            delay = self._slow if isinstance(effect, Answer) else 0.0
            self._out.append((max(last, now + delay), effect.data))
        self._release_due()

    def _release_due(self) -> None:
        now = time.monotonic()
        while self._out and self._out[0][0] <= now:
            self._pending += self._out.popleft()[1]
        if len(self._pending) > _MAX_PENDING:
            self._pending.clear()
        self._flush()

    def _flush(self) -> None:
        if self._master is None or self._selector is None:
            self._pending.clear()
            return
        try:
            while self._pending:
                written = os.write(self._master, self._pending)
                del self._pending[:written]
        except BlockingIOError:
            pass
        except OSError as exc:
            log.warning("modem simulator: write error %s", exc)
            self._pending.clear()
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self._pending else 0)
        self._selector.modify(self._master, events)

    def _shared(self) -> None:
        """Undo a user's TIOCEXCL: held open by us, the pty would stay exclusive after it closed."""
        if self._slave is not None:
            with contextlib.suppress(OSError):
                fcntl.ioctl(self._slave, termios.TIOCNXCL)

    def _plug(self) -> None:
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave  # our slave end keeps the pty from hanging up
        self._device = os.ttyname(slave)
        if self._selector is not None:
            self._selector.register(master, selectors.EVENT_READ)
        self.engine.power_cycle()
        self.link.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(self._device)
        tmp.replace(self.link)
        log.info("modem simulator: %s → %s", self.link, self._device)

    def _unplug(self) -> None:
        master, slave = self._master, self._slave
        self._master = self._slave = None
        self._device = ""
        self._out.clear()
        self._pending.clear()
        with contextlib.suppress(FileNotFoundError):
            if self.link.is_symlink():
                self.link.unlink()
        if master is not None:
            if self._selector is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(master)
            os.close(master)
        if slave is not None:
            os.close(slave)


# -- as a process -----------------------------------------------------------------------------------
def _sms_json(sms: SubmittedSms) -> dict[str, Any]:
    data = dataclasses.asdict(sms)
    data["at"] = sms.at.isoformat()
    return data


def _message_json(message: NetworkMessage) -> dict[str, Any]:
    return {
        "number": message.number,
        "text": message.text,
        "coding": message.coding,
        "parts": len(message.parts),
        "complete": message.complete,
    }


CONTROL_OPS: dict[str, Callable[[ModemSimulator, dict[str, Any]], Any]] = {
    "state": lambda sim, a: sim.state(),
    "deliver": lambda sim, a: sim.deliver(
        a["sender"], a["text"], datetime.fromisoformat(a["when"]) if a.get("when") else None
    ),
    "sent": lambda sim, a: [_sms_json(s) for s in sim.sent],
    "messages": lambda sim, a: [_message_json(m) for m in sim.messages()],
    "no_network": lambda sim, a: sim.no_network(a.get("on", True), a.get("state", "searching")),
    "registration": lambda sim, a: sim.set_registration(a["state"]),
    "cms_error": lambda sim, a: sim.cms_error(
        int(a["code"]), int(a.get("times", 1)), skip=int(a.get("skip", 0))
    ),
    "slow": lambda sim, a: sim.slow(float(a["seconds"])),
    "signal": lambda sim, a: sim.signal(int(a["rssi"])),
    "sim": lambda sim, a: sim.set_sim(a["state"]),
    "unplug": lambda sim, a: sim.unplug(),
    "plug": lambda sim, a: sim.plug(),
    "unplug_during_send": lambda sim, a: sim.unplug_during_send(after_submit=bool(a.get("after_submit"))),
}


async def _control_client(
    sim: ModemSimulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while line := await reader.readline():
            try:
                request = json.loads(line)
                op = CONTROL_OPS[request.pop("op")]
                result = await asyncio.to_thread(op, sim, request)
                answer: dict[str, Any] = {"ok": True, "result": result}
            except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            writer.write(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _remove(path: str | os.PathLike[str]) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def serve(
    link: str | os.PathLike[str],
    *,
    control: str | os.PathLike[str] | None = None,
    started: Callable[[ModemSimulator], None] | None = None,
    **options: Any,
) -> None:
    """Run a simulated modem at ``link`` (and its control socket) until cancelled."""
    sim = ModemSimulator(link, **options)
    server: asyncio.AbstractServer | None = None
    async with sim:
        try:
            if control is not None:
                _remove(control)
                old = os.umask(0o177)
                try:
                    server = await asyncio.start_unix_server(
                        lambda r, w: _control_client(sim, r, w), path=os.fspath(control)
                    )
                finally:
                    os.umask(old)
            if started is not None:
                started(sim)
            await asyncio.Event().wait()
        finally:
            if server is not None and control is not None:
                server.close()
                _remove(control)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``chaufferie sim-modem`` (added to ``parser`` when given)."""
    p = parser or argparse.ArgumentParser(
        prog="chaufferie sim-modem", description="modem GSM simulé / simulated GSM modem"
    )
    p.add_argument("--link", required=True, help="stable path of the modem's port (a symlink to a pty)")
    p.add_argument("--control", help="Unix socket for JSON-lines control (deliver, faults, sent log)")
    p.add_argument("--pin", help="the SIM asks for this PIN at power-on")
    p.add_argument("--rssi", type=int, default=20, help="signal, AT+CSQ 0-31 (default 20)")
    p.add_argument(
        "--registration",
        default="home",
        choices=["home", "roaming", "searching", "denied", "none", "unknown"],
    )
    p.add_argument("--slow", type=float, default=0.0, help="seconds before each answer")
    p.add_argument("--text-only", action="store_true", help="SMS text mode only (no PDU mode)")
    return p


MESSAGES = {
    "serving": "Modem simulé sur {link} → {device} (Ctrl-C pour arrêter) / Simulated modem at {link}",
    "stopped": "Modem simulé arrêté / Simulated modem stopped",
}


def main(argv: Sequence[str] | None = None) -> int:
    """``chaufferie sim-modem``: serve a simulated modem until SIGINT/SIGTERM."""
    args = build_parser().parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    async def go() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signals.SIGINT, signals.SIGTERM):
            if task is not None:
                loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(
                args.link,
                control=args.control,
                started=lambda sim: print(
                    MESSAGES["serving"].format(link=sim.link, device=sim.device), flush=True
                ),
                pin=args.pin,
                rssi=args.rssi,
                registration=args.registration,
                slow_s=args.slow,
                pdu_mode=not args.text_only,
            )

    asyncio.run(go())
    print(MESSAGES["stopped"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
