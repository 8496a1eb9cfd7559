"""The configuration in force: one place, replaced whole and checked, announced on the bus."""

from __future__ import annotations

import pytest

from chaufferie.config.bus import Bus
from chaufferie.config.live import ConfigRefused, LiveConfig
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import Channel, ConfigChanged, Context

ADMIN = Context(origin="hmi", user="dubois", channel=Channel.HMI, address="127.0.0.1")


def test_a_replaced_section_is_in_force_and_announced_with_the_whole_new_configuration(
    config: PlantConfig, bus: Bus
) -> None:
    live = LiveConfig(config, bus)
    martin = config.contact("tech-martin").model_copy(update={"phone": "+33698765432"})
    contacts = tuple(martin if c.id == martin.id else c for c in config.contacts)
    with bus.subscribe(ConfigChanged, name="test") as sub:
        live.replace("contacts", contacts, ADMIN)
        [message] = sub.drain()
    assert live.current.contact("tech-martin").phone == "+33698765432"
    assert isinstance(message, ConfigChanged)
    assert (message.section, message.context) == ("contacts", ADMIN)
    assert message.config is live.current
    assert live.current.cascade == config.cascade  # the rest as it was


def test_a_refused_replacement_names_the_field_and_changes_nothing(config: PlantConfig, bus: Bus) -> None:
    live = LiveConfig(config, bus)
    assert config.rota is not None
    with bus.subscribe(ConfigChanged, name="test") as sub:
        with pytest.raises(ConfigRefused, match=r"rota\.cycle\.0: unknown contact \(nobody\)"):
            live.replace("rota", config.rota.model_copy(update={"cycle": ("nobody",)}), ADMIN)
        with pytest.raises(ConfigRefused, match="setpoint_min_c"):
            live.replace("cascade", config.cascade.model_copy(update={"setpoint_min_c": 99.0}), ADMIN)
        with pytest.raises(ConfigRefused, match="restart needed"):
            live.replace("links", {}, ADMIN)  # read at start by the bridge: not changeable live
        assert sub.drain() == []
    assert live.current is config
