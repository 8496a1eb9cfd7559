"""Fixtures for the simulator's tests: a running simulator on loopback and secure OPC UA clients.

Starting an asyncua server costs seconds, so one simulator serves a whole test module
(``shared_sim``, module event loop); the ``sim`` fixture hands it to each test with a fresh
plant, nothing forced and every link up. Modules using it run in the module's event loop:
``pytestmark = pytest.mark.asyncio(loop_scope="module")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from asyncua import Client, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from chaufferie.config.loader import default_config_path, load_config
from chaufferie.simulations.plant import Plant
from chaufferie.simulations.security import ensure_certificate
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import free_port

USER = "exploitant"
PASSWORD = "s3cret-for-tests"
CLIENT_URI = "urn:chaufferie:tests:client"

ClientFactory = Callable[..., Awaitable[Client]]


@pytest.fixture
def opcua_credentials(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setenv("CHAUFFERIE_OPCUA_USER", USER)
    monkeypatch.setenv("CHAUFFERIE_OPCUA_PASSWORD", PASSWORD)
    return USER, PASSWORD


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_sim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SimulatorServers]:
    """Both PLC servers on free loopback ports for a whole module, stepped only when told."""
    tmp = tmp_path_factory.mktemp("sim")
    cfg = load_config(default_config_path(), data_dir=str(tmp / "data"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAUFFERIE_OPCUA_USER", USER)
        mp.setenv("CHAUFFERIE_OPCUA_PASSWORD", PASSWORD)
        servers = SimulatorServers(
            cfg,
            Plant(cfg),
            modbus_port=free_port(),
            opcua_port=free_port(),
            mbus_port=free_port(),
            data_dir=tmp / "sim",
            speed=None,
        )
    async with servers:
        yield servers


@pytest_asyncio.fixture(loop_scope="module")
async def sim(shared_sim: SimulatorServers) -> SimulatorServers:
    """The module's simulator with a fresh plant, nothing forced and every link answering."""
    shared_sim.plant = Plant(shared_sim.cfg)
    for gateway in shared_sim.mbus.values():
        gateway.gateway.bank = shared_sim.plant.meters
    for point in list(shared_sim.forced):
        shared_sim.unforce(point)
    for server in shared_sim.modbus.values():
        server.context.registers.raw_overrides.clear()
        server.silence(False)
    for link in shared_sim.cfg.links:
        await shared_sim.start_server(link)
    await shared_sim.publish()
    return shared_sim


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client_cert(
    tmp_path_factory: pytest.TempPathFactory, shared_sim: SimulatorServers
) -> tuple[Path, Path]:
    """A client certificate in the simulator's trust list, as commissioning would put it."""
    folder = tmp_path_factory.mktemp("client")
    key, cert = await ensure_certificate(folder, "client-key.pem", "client-cert.der", CLIENT_URI, client=True)
    shared_sim.trust_client(cert)
    return key, cert


@pytest.fixture
def secure_client(sim: SimulatorServers, client_cert: tuple[Path, Path]) -> ClientFactory:
    """Build a Basic256Sha256/SignAndEncrypt client (not yet connected) for the simulator."""

    async def make(user: str | None = USER, password: str | None = PASSWORD) -> Client:
        key, cert = client_cert
        client = Client(sim.opcua_endpoint("hydraulic"), timeout=5)
        client.application_uri = CLIENT_URI
        await client.set_security(
            SecurityPolicyBasic256Sha256,
            str(cert),
            str(key),
            server_certificate=str(sim.server_certificate),
            mode=ua.MessageSecurityMode.SignAndEncrypt,
        )
        if user is not None:
            client.set_user(user)
        if password is not None:
            client.set_password(password)
        return client

    return make
