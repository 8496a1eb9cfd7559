"""OPC UA security: pinned server certificate, credentials from the environment, no shortcuts."""

from __future__ import annotations

import logging
import shutil

import pytest
from asyncua import Client, ua

from chaufferie.config.bus import Bus
from chaufferie.config.clock import VirtualClock
from chaufferie.config.points import OpcUaLink, SecurityPolicy
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import LinkEvent, LinkState
from chaufferie.plc_bridge.opcua_security import Pki, ensure_client_certificate
from chaufferie.plc_bridge.opcua_source import OpcUaLinkSource
from chaufferie.simulations.server import SimulatorServers
from tests.plc_bridge.conftest import SIM_PASSWORD, SIM_USER, advance_until, eventually, running


def hydraulic_link(cfg: PlantConfig, **changes: object) -> OpcUaLink:
    link = cfg.links["hydraulic"]
    assert isinstance(link, OpcUaLink)
    return link.model_copy(update=changes)


async def first_down_reason(
    cfg: PlantConfig, bus: Bus, clock: VirtualClock, link: OpcUaLink
) -> tuple[str, OpcUaLinkSource]:
    events = bus.subscribe(LinkEvent)
    source = OpcUaLinkSource("hydraulic", link, cfg.points_of("hydraulic"), bus, clock, cfg)
    async with running(source):
        await eventually(lambda: source.state is LinkState.DOWN, within=10)
    [event] = [e for e in events.drain() if isinstance(e, LinkEvent)]
    return event.reason, source


async def test_untrusted_server_certificate_is_refused_saying_where_to_put_it(
    sim: SimulatorServers, bus: Bus, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = sim.cfg  # nothing trusted yet
    caplog.set_level(logging.ERROR, logger="chaufferie.plc_bridge.opcua_security")
    reason, source = await first_down_reason(cfg, bus, clock, hydraulic_link(cfg))
    pki = Pki.of(cfg, hydraulic_link(cfg))
    [saved] = list(pki.rejected.iterdir())
    assert saved.read_bytes() == sim.server_certificate.read_bytes()
    assert f"copy {saved} into {pki.trusted}/" in reason
    assert [r.getMessage() for r in caplog.records] == [reason]
    assert source.sessions == 0
    # the operator copies it where the message says: the next attempt connects
    pki.trusted.mkdir(parents=True)
    shutil.copy(saved, pki.trusted)
    sim.trust_client(await ensure_client_certificate(pki))  # and the simulator trusts the bridge
    source = OpcUaLinkSource("hydraulic", hydraulic_link(cfg), cfg.points_of("hydraulic"), bus, clock, cfg)
    async with running(source):
        await eventually(lambda: source.state is LinkState.UP, within=10)


async def test_client_certificate_is_generated_on_first_run_refused_until_trusted_and_kept(
    plant_config: PlantConfig, sim: SimulatorServers, bus: Bus, clock: VirtualClock
) -> None:
    pki = Pki.of(plant_config, hydraulic_link(plant_config))
    pki.client_cert.unlink()  # a first run: no certificate yet, so the simulator trusts none of ours
    pki.client_key.unlink()
    source = OpcUaLinkSource(
        "hydraulic",
        hydraulic_link(plant_config),
        plant_config.points_of("hydraulic"),
        bus,
        clock,
        plant_config,
    )
    async with running(source):
        await eventually(lambda: source.state is LinkState.DOWN and pki.client_cert.exists(), within=10)
        assert source.sessions == 0
        sim.trust_client(pki.client_cert)  # commissioning: `chaufferie sim --trust client_cert.der`
        await advance_until(clock, lambda: source.state is LinkState.UP, step=2.0, max_steps=10, settle=1.0)
        first = pki.client_cert.read_bytes()
        source.drop_connection()
        await advance_until(clock, lambda: source.sessions == 2, step=2.0, max_steps=10, settle=1.0)
    assert pki.client_cert.read_bytes() == first


async def test_wrong_password_is_refused_by_the_server(
    plant_config: PlantConfig, bus: Bus, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRONG_PASSWORD", "not-" + SIM_PASSWORD)
    link = hydraulic_link(plant_config, password_env="WRONG_PASSWORD")
    reason, source = await first_down_reason(plant_config, bus, clock, link)
    assert source.sessions == 0
    assert "not-" + SIM_PASSWORD not in reason  # secrets never in messages


async def test_missing_credentials_refuse_to_connect_and_anonymous_login_is_refused(
    plant_config: PlantConfig, bus: Bus, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHAUFFERIE_OPCUA_USER")
    reason, _ = await first_down_reason(plant_config, bus, clock, hydraulic_link(plant_config))
    assert "set CHAUFFERIE_OPCUA_USER and CHAUFFERIE_OPCUA_PASSWORD" in reason
    # a lab link may try anonymously: the plant's server still refuses
    lab = hydraulic_link(plant_config, allow_anonymous_lab=True)
    _, source = await first_down_reason(plant_config, bus, clock, lab)
    assert source.sessions == 0


async def test_no_security_is_neither_offered_by_the_server_nor_accepted_by_the_bridge(
    plant_config: PlantConfig, bus: Bus, clock: VirtualClock
) -> None:
    insecure = hydraulic_link(plant_config, security_policies=(SecurityPolicy.NONE,))
    reason, _ = await first_down_reason(plant_config, bus, clock, insecure)
    assert "offers none of the configured security policies" in reason
    plain = Client(hydraulic_link(plant_config).endpoint, timeout=2)
    plain.set_user(SIM_USER)
    plain.set_password(SIM_PASSWORD)
    with pytest.raises((ua.UaError, OSError, TimeoutError)):
        await plain.connect()
    await plain.disconnect()
