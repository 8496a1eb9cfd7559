"""The :class:`Bridge` service: one source per configured link, and the command path.

``async with Bridge(cfg, bus, clock) as bridge: await bridge.run()`` starts a source per link
of ``cfg.links`` (Modbus TCP or OPC UA) and serves every :class:`Command` published on the
bus; the HMI and the remote-reset path may instead ``await bridge.execute(command)`` and get
the :class:`CommandResult` directly (it is published on the bus either way). Leaving the
context cancels the sources and closes their connections.

Imports only :mod:`chaufferie.config` and sibling modules.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from types import TracebackType

from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.points import MbusLink, ModbusLink
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Command, CommandResult, LinkState
from chaufferie.plc_bridge.base import TagSource
from chaufferie.plc_bridge.mbus_source import MbusLinkSource
from chaufferie.plc_bridge.modbus_source import ModbusLinkSource
from chaufferie.plc_bridge.opcua_source import OpcUaLinkSource
from chaufferie.plc_bridge.writes import CommandExecutor, WriteGuard, life_counters

log = logging.getLogger(__name__)


def build_sources(
    cfg: PlantConfig, bus: Bus, clock: Clock, rng: random.Random | None = None
) -> dict[str, TagSource]:
    """One source per link of ``cfg``, each with the points of its link."""
    sources: dict[str, TagSource] = {}
    for name, link in cfg.links.items():
        points = cfg.points_of(name)
        if isinstance(link, ModbusLink):
            sources[name] = ModbusLinkSource(name, link, points, bus, clock, rng)
        elif isinstance(link, MbusLink):
            sources[name] = MbusLinkSource(name, link, points, bus, clock, rng)
        else:
            sources[name] = OpcUaLinkSource(name, link, points, bus, clock, cfg, rng)
    return sources


class Bridge:
    """Mirror the plant's points onto the bus and carry commands to the PLCs."""

    def __init__(
        self,
        cfg: PlantConfig,
        bus: Bus,
        clock: Clock,
        *,
        sources: Mapping[str, TagSource] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.bus = bus
        self.clock = clock
        self.sources: Mapping[str, TagSource] = (
            sources if sources is not None else build_sources(cfg, bus, clock, rng)
        )
        self.guard = WriteGuard(cfg.points, clock)
        self.executor = self._executor()
        self._commands: Subscription | None = None
        self._pending: set[asyncio.Task[CommandResult]] = set()

    def use_sources(self, sources: Mapping[str, TagSource]) -> None:
        """Replace the links (a harness driving a plant model): the command path follows."""
        self.sources = sources
        self.executor = self._executor()

    def _executor(self) -> CommandExecutor:
        cfg = self.cfg
        return CommandExecutor(
            self.guard, cfg.points, self.sources, self.bus, self.clock, quiet=life_counters(cfg.links)
        )

    async def __aenter__(self) -> Bridge:
        self._commands = self.bus.subscribe(Command, maxsize=1000, name="plc_bridge.commands")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._commands is not None:
            self._commands.close()
            self._commands = None
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        for source in self.sources.values():
            await source.close()

    async def run(self) -> None:
        """Run every source and serve commands until cancelled."""
        if self._commands is None:
            raise RuntimeError("use 'async with Bridge(...)' before run()")
        async with asyncio.TaskGroup() as group:
            for name, source in self.sources.items():
                group.create_task(source.run(), name=f"plc_bridge.{name}")
            group.create_task(self._serve_commands(self._commands), name="plc_bridge.commands")

    async def execute(self, command: Command) -> CommandResult:
        """Check, write, read back and audit ``command``; the result is also published."""
        return await self.executor.execute(command)

    def link_states(self) -> dict[str, LinkState]:
        return {name: source.state for name, source in self.sources.items()}

    async def _serve_commands(self, commands: Subscription) -> None:
        async for message in commands:
            if isinstance(message, Command):
                task = asyncio.create_task(self.execute(message), name=f"plc_bridge.command.{message.id}")
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
