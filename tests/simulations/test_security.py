"""OPC UA security of the simulator: only encrypted sessions of trusted clients with the password get in."""

from __future__ import annotations

from pathlib import Path

import pytest
from asyncua import Client, ua
from cryptography import x509

from chaufferie.config.points import SecurityPolicy
from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.security import SimulatorConfigError, ensure_certificate, trust_client
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import free_port
from tests.simulations.attacks import clear_text_session, secured_session
from tests.simulations.conftest import CLIENT_URI, PASSWORD, USER, ClientFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_server_offers_only_sign_and_encrypt_endpoints(sim: SimulatorServers) -> None:
    client = Client(sim.opcua_endpoint("hydraulic"), timeout=5)
    endpoints = await client.connect_and_get_server_endpoints()
    modes = {e.SecurityMode for e in endpoints}
    policies = {e.SecurityPolicyUri.rsplit("#", 1)[-1] for e in endpoints}
    assert modes == {ua.MessageSecurityMode.SignAndEncrypt}
    assert policies == {"Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"}
    tokens = {t.TokenType for e in endpoints for t in e.UserIdentityTokens}
    assert tokens == {ua.UserTokenType.UserName}


async def test_connection_without_security_is_refused(sim: SimulatorServers) -> None:
    client = Client(sim.opcua_endpoint("hydraulic"), timeout=5)
    client.set_user("exploitant")
    client.set_password("s3cret-for-tests")
    with pytest.raises((ua.UaError, TimeoutError, ConnectionError)):
        await client.connect()
    await client.disconnect()


async def test_anonymous_session_is_refused(sim: SimulatorServers, secure_client: ClientFactory) -> None:
    client = await secure_client(user=None, password=None)
    with pytest.raises(ua.UaError):
        await client.connect()
    await client.disconnect()


async def test_wrong_password_is_refused(sim: SimulatorServers, secure_client: ClientFactory) -> None:
    client = await secure_client(password="not-the-password")
    with pytest.raises(ua.UaStatusCodeError):
        await client.connect()
    await client.disconnect()


async def test_right_password_over_encryption_is_accepted(secure_client: ClientFactory) -> None:
    async with await secure_client() as client:
        assert await client.get_namespace_index("urn:chaufferie:plant") > 0


async def test_server_certificate_is_written_as_der_for_pinning(sim: SimulatorServers) -> None:
    cert = x509.load_der_x509_certificate(sim.server_certificate.read_bytes())
    assert sim.server_certificate.parent.name == "pki"
    assert cert.not_valid_after_utc > cert.not_valid_before_utc


async def test_simulator_refuses_to_start_without_credentials(
    config: PlantConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHAUFFERIE_OPCUA_USER", raising=False)
    monkeypatch.delenv("CHAUFFERIE_OPCUA_PASSWORD", raising=False)
    with pytest.raises(SimulatorConfigError, match="CHAUFFERIE_OPCUA_USER"):
        SimulatorServers(
            config, modbus_port=free_port(), opcua_port=free_port(), data_dir=tmp_path, speed=None
        )


async def test_a_lab_link_may_allow_anonymous_sessions(
    config: PlantConfig, opcua_credentials: tuple[str, str], tmp_path: Path
) -> None:
    link = config.links["hydraulic"].model_copy(update={"allow_anonymous_lab": True})
    lab = config.model_copy(update={"links": {**config.links, "hydraulic": link}})
    async with SimulatorServers(
        lab,
        modbus_port=free_port(),
        opcua_port=free_port(),
        mbus_port=free_port(),
        data_dir=tmp_path,
        speed=None,
    ) as sim:
        client = Client(sim.opcua_endpoint("hydraulic"), timeout=5)
        endpoints = await client.connect_and_get_server_endpoints()
        tokens = {t.TokenType for e in endpoints for t in e.UserIdentityTokens}
        assert ua.UserTokenType.Anonymous in tokens


async def test_security_policy_none_needs_a_lab_link(
    config: PlantConfig, opcua_credentials: tuple[str, str]
) -> None:
    link = config.links["hydraulic"].model_copy(update={"security_policies": (SecurityPolicy.NONE,)})
    bad = config.model_copy(update={"links": {**config.links, "hydraulic": link}})
    with pytest.raises(SimulatorConfigError, match="allow_anonymous_lab"):
        SimulatorServers(bad, modbus_port=free_port(), opcua_port=free_port(), speed=None)


async def test_password_over_a_channel_without_security_activates_no_session(sim: SimulatorServers) -> None:
    """An attacker: SecurityPolicy None, CreateSession, ActivateSession with the password in clear."""
    attempt = await clear_text_session(sim.opcua_endpoint("hydraulic"), USER, PASSWORD)
    try:
        assert attempt.session is None
        assert (attempt.refused_at, attempt.status) == ("ActivateSession", "BadSecurityModeRejected")
        with pytest.raises(ua.UaStatusCodeError):
            await attempt.write_double("Oil.Setpoint", 71.0)
    finally:
        await attempt.close()
    assert sim.plant.snapshot()["oil.setpoint"] == 75.0


async def test_a_client_certificate_not_in_the_trust_list_is_refused(
    sim: SimulatorServers, tmp_path: Path
) -> None:
    """A valid Basic256Sha256/SignAndEncrypt channel, the right password, an unknown certificate."""
    uri = "urn:chaufferie:tests:stranger"
    key, cert = await ensure_certificate(tmp_path, "stranger-key.pem", "stranger.der", uri, client=True)
    attempt = await secured_session(
        sim.opcua_endpoint("hydraulic"), sim.server_certificate, key, cert, uri, USER, PASSWORD
    )
    await attempt.close()
    assert (attempt.refused_at, attempt.status) == ("CreateSession", "BadCertificateUntrusted")


async def test_an_untrusted_channel_cannot_borrow_a_trusted_certificate(
    sim: SimulatorServers, client_cert: tuple[Path, Path], tmp_path: Path
) -> None:
    """The channel's own certificate decides, not the one the client names in CreateSession."""
    uri = "urn:chaufferie:tests:stranger"
    key, cert = await ensure_certificate(tmp_path, "stranger-key.pem", "stranger.der", uri, client=True)
    borrowed = client_cert[1].read_bytes()
    attempt = await secured_session(
        sim.opcua_endpoint("hydraulic"),
        sim.server_certificate,
        key,
        cert,
        CLIENT_URI,
        USER,
        PASSWORD,
        borrowed,
    )
    await attempt.close()
    assert (attempt.refused_at, attempt.status) == ("ActivateSession", "BadCertificateUntrusted")


async def test_a_certificate_trusted_while_running_is_accepted_at_the_next_session(
    sim: SimulatorServers, tmp_path: Path
) -> None:
    uri = "urn:chaufferie:tests:uaexpert"
    key, cert = await ensure_certificate(tmp_path, "tool-key.pem", "tool.der", uri, client=True)
    args = (sim.opcua_endpoint("hydraulic"), sim.server_certificate, key, cert, uri, USER, PASSWORD)
    refused = await secured_session(*args)
    await refused.close()
    sim.trust_client(cert)
    accepted = await secured_session(*args)
    try:
        assert refused.session is None
        assert accepted.session is not None
        assert (await accepted.write_double("Oil.Setpoint", 71.0)).is_good()
    finally:
        await accepted.close()
    assert sim.plant.snapshot()["oil.setpoint"] == 71.0


async def test_trusting_a_file_that_is_no_certificate_says_so(tmp_path: Path) -> None:
    bogus = tmp_path / "uaexpert.der"
    bogus.write_bytes(b"not a certificate")
    with pytest.raises(SimulatorConfigError, match=r"uaexpert\.der: not an X\.509 certificate"):
        trust_client(tmp_path / "pki", bogus)
    assert not list((tmp_path / "pki").glob("*/*"))
