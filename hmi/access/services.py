"""Everything the access endpoints need, built once by the composition root.

``cfg`` is the process's :class:`~chaufferie.config.live.LiveConfig`: the SMS webhook and the
user binding read the contacts in force; the ``hmi`` section is read once at start.

Secrets come only from the environment: the signing key from ``cfg.hmi.secret_key_env``
(always needed) and, when SMS is configured, the Twilio auth token from
``cfg.notifiers.sms.auth_token_env`` (to check webhook signatures). A missing one raises
:class:`~chaufferie.alarms.ack_links.MissingSecretError` here, at start, never later.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from chaufferie.alarms.ack_links import AckLinks, MissingSecretError, secret_from_env
from chaufferie.config.bus import Bus, Subscription
from chaufferie.config.clock import Clock
from chaufferie.config.live import LiveConfig, as_live
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmTransition, NotificationRecord, PlantEvent
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.authn import Authenticator
from chaufferie.hmi.access.desk import AckDesk
from chaufferie.hmi.access.interventions import InterventionDesk
from chaufferie.hmi.access.plant_story import PlantStory
from chaufferie.hmi.access.ports import AlarmActions, AlarmLookup, CommandSender, SmsSender, Storage
from chaufferie.hmi.access.sessions import Sessions
from chaufferie.hmi.access.users import UserService


def link_maker(cfg: PlantConfig, clock: Clock, environ: Mapping[str, str] | None = None) -> AckLinks:
    """The signed-link maker to hand to the alarms service (build it first, then pass it to
    :class:`AccessServices` as ``links``)."""
    env = dict(os.environ if environ is None else environ)
    return AckLinks(cfg.hmi, secret_from_env(cfg.hmi, env), clock)


class AccessServices:
    """The wired access-control services (one per process).

    Also a service for the lifespan (``async with access: await access.run()``): it follows
    the bus for the phone page's plant story and for interventions, opened by the plant's call
    (its first notification) or an acknowledgement from any channel.
    """

    def __init__(
        self,
        cfg: PlantConfig | LiveConfig,
        bus: Bus,
        clock: Clock,
        store: Storage,
        alarms: AlarmActions,
        lookup: AlarmLookup,
        *,
        commands: CommandSender | None = None,
        sms: SmsSender | None = None,
        links: AckLinks | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = dict(os.environ if environ is None else environ)
        self.live = as_live(cfg)
        cfg = self.live.current  # for what is read once at start (see config.live)
        secret = secret_from_env(cfg.hmi, env)
        self.bus = bus
        self.clock = clock
        self.store = store
        self.lookup = lookup
        self.sms = sms
        self.twilio_token = _twilio_token(cfg, env)
        self.audit = Audit(bus, clock)
        self.links = links or AckLinks(cfg.hmi, secret, clock)
        self.sessions = Sessions(cfg.hmi, secret, clock)
        self.authn = Authenticator(store, clock, cfg.hmi, self.audit)
        self.users = UserService(store, clock, self.audit, self._contact_ids)
        self.interventions = InterventionDesk(cfg, store, store, clock, self.audit, lookup)
        self.desk = AckDesk(cfg, alarms, self.interventions, self.audit, clock, commands)
        self.story = PlantStory(cfg.site.timezone)
        self._subscriptions: tuple[Subscription, ...] = ()

    @property
    def cfg(self) -> PlantConfig:
        """The configuration in force (contacts as changed from the HMI)."""
        return self.live.current

    def _contact_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.cfg.contacts)

    async def __aenter__(self) -> AccessServices:
        self._subscriptions = (
            self.bus.subscribe(PlantEvent, maxsize=1000, name="access.plant_story"),
            self.bus.subscribe(
                AlarmTransition, NotificationRecord, maxsize=10_000, name="access.interventions"
            ),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sub in self._subscriptions:
            sub.close()
        self._subscriptions = ()

    async def run(self) -> None:
        """Follow the bus (plant story, interventions) until cancelled."""
        if not self._subscriptions:
            raise RuntimeError("use 'async with access:' before run()")
        plant, transitions = self._subscriptions
        async with asyncio.TaskGroup() as group:
            group.create_task(self.story.consume(plant), name="access.story")
            group.create_task(self.interventions.follow(transitions), name="access.interventions")


def _twilio_token(cfg: PlantConfig, env: Mapping[str, str]) -> str | None:
    sms = cfg.notifiers.sms
    if sms is None:
        return None
    token = env.get(sms.auth_token_env, "")
    if not token:
        raise MissingSecretError(
            f"SMS is configured but environment variable {sms.auth_token_env} (Twilio auth token) is not set"
        )
    return token
