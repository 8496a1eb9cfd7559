"""Fixtures for the simulator's tests: a running simulator on loopback and secure OPC UA clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from asyncua import Client, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from chaufferie.config.settings import PlantConfig
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


@pytest.fixture
async def sim(
    config: PlantConfig, opcua_credentials: tuple[str, str], tmp_path: Path
) -> AsyncIterator[SimulatorServers]:
    """Both PLC servers on free loopback ports, stepped only when the test says so."""
    servers = SimulatorServers(
        config,
        Plant(config),
        modbus_port=free_port(),
        opcua_port=free_port(),
        data_dir=tmp_path / "sim",
        speed=None,
    )
    async with servers:
        yield servers


@pytest.fixture
async def client_cert(tmp_path: Path) -> tuple[Path, Path]:
    return await ensure_certificate(
        tmp_path / "client", "client-key.pem", "client-cert.der", CLIENT_URI, client=True
    )


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
