"""What the pages are given: config, bus, clock, the live view and the services they call.

:class:`HmiServices` is built by the composition root (or a test) and handed to
:func:`chaufferie.hmi.app.build_ui`. Any service left ``None`` (no PLC bridge, no simulator)
makes the matching controls read "unavailable" instead of failing. ``publish_action`` puts an
:class:`~chaufferie.config.vocabulary.OperatorAction` on the bus for actions the HMI owns
itself (logbook entries, settings, refused attempts); the historian records it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

from chaufferie.config.bus import Bus
from chaufferie.config.clock import Clock
from chaufferie.config.live import LiveConfig, as_live
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context, Message, OperatorAction
from chaufferie.hmi.access.hmi_adapter import HmiAuthenticator, HmiUserAdmin
from chaufferie.hmi.alarm_actions import HmiAlarmActions
from chaufferie.hmi.history import HmiHistory
from chaufferie.hmi.interventions import HmiInterventions
from chaufferie.hmi.live import LiveModel
from chaufferie.hmi.maintenance import HmiMaintenance
from chaufferie.hmi.meters import HmiMeters
from chaufferie.hmi.records import UserSession
from chaufferie.hmi.season import HmiSeason
from chaufferie.hmi.settings_store import FileSettingsStore
from chaufferie.hmi.simulator_control import SimulatorControl
from chaufferie.hmi.viewmodel import PlantView
from chaufferie.plc_bridge.service import Bridge


@dataclass
class HmiServices:
    """Everything a page may use. Only ``source``, ``bus``, ``clock`` and ``auth`` are required.

    ``source`` is the :class:`LiveConfig` of the process (a plain configuration is held as a
    fixed one); :attr:`config` reads the configuration in force each time.
    """

    source: InitVar[PlantConfig | LiveConfig]
    bus: Bus
    clock: Clock
    auth: HmiAuthenticator
    alarms: HmiAlarmActions | None = None
    commands: Bridge | None = None
    history: HmiHistory | None = None
    users: HmiUserAdmin | None = None
    settings_store: FileSettingsStore | None = None
    scenarios: SimulatorControl | None = None
    interventions: HmiInterventions | None = None
    maintenance: HmiMaintenance | None = None
    meters: HmiMeters | None = None
    """The meters' logbook entries (replacements, manual readings) and suspected replacements."""
    season: HmiSeason | None = None
    """The heating season's notice and confirmation (the running supervisor's state)."""
    initial: Callable[[], Iterable[Message]] | None = None
    """Known state the bus no longer holds (active alarms, last mode), applied at start."""
    view: PlantView = field(init=False)
    live: LiveModel = field(init=False)
    settings: LiveConfig = field(init=False)

    def __post_init__(self, source: PlantConfig | LiveConfig) -> None:
        self.settings = as_live(source)
        self.view = PlantView(self.config)
        self.live = LiveModel(self.bus, self.view)
        self.live.attach()

    @property
    def config(self) -> PlantConfig:
        """The configuration in force (live sections as changed since start)."""
        return self.settings.current

    @property
    def refresh_s(self) -> float:
        return self.config.hmi.refresh_s

    def context(self, session: UserSession, address: str | None, origin: str = "hmi") -> Context:
        """The audit context of an action by ``session`` from ``address``."""
        return Context(origin=origin, user=session.username, channel=Channel.HMI, address=address)

    def publish_action(
        self,
        kind: ActionKind,
        context: Context,
        target: str = "",
        details: Mapping[str, Any] | None = None,
        result: ActionResult = ActionResult.OK,
    ) -> OperatorAction:
        action = OperatorAction(
            kind=kind,
            time=self.clock.now(),
            context=context,
            target=target,
            result=result,
            details=dict(details or {}),
        )
        self.bus.publish(action)
        return action
