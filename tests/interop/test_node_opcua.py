"""node-opcua (an OPC UA stack we did not write) browses and reads our hydraulic module securely."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from chaufferie.simulations.security import ensure_certificate
from chaufferie.simulations.server import SimulatorServers
from tests.conftest import REQUIRE_TOOLS, require_tool

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]
HERE = Path(__file__).parent
SCRIPT = HERE / "read_opcua.js"
NODE_URI = "urn:chaufferie:interop:node-opcua"


def _node() -> str:
    node = require_tool("node", "OPC UA interop test")
    if not (HERE / "node_modules" / "node-opcua-client").is_dir():
        message = "tests/interop/node_modules missing: run `cd tests/interop && npm install`"
        if REQUIRE_TOOLS:
            pytest.fail(message)
        pytest.skip(message)
    return node


async def _read(
    sim: SimulatorServers,
    tmp_path: Path,
    password: str,
    *nodes: str,
    mode: str = "SignAndEncrypt",
    trusted: bool = True,
) -> tuple[int, str, str]:
    """Run the node-opcua client with its own certificate (in the simulator's trust list if ``trusted``)."""
    key, cert = await ensure_certificate(tmp_path / "node-cert", "key.pem", "cert.der", NODE_URI, client=True)
    if trusted:
        sim.trust_client(cert)
    env = dict(
        os.environ,
        CHAUFFERIE_OPCUA_PASSWORD=password,
        INTEROP_CLIENT_CERT=str(cert),
        INTEROP_CLIENT_KEY=str(key),
        INTEROP_SECURITY_MODE=mode,
    )
    proc = await asyncio.create_subprocess_exec(
        _node(),
        str(SCRIPT),
        sim.opcua_endpoint("hydraulic"),
        str(sim.server_certificate),
        str(tmp_path / "node-pki"),
        "urn:chaufferie:plant",
        *nodes,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_node_opcua_reads_nodes_over_basic256sha256_with_user_and_password(
    sim: SimulatorServers, tmp_path: Path, opcua_credentials: tuple[str, str]
) -> None:
    await sim.step(600)
    values = sim.values()
    code, out, err = await _read(
        sim, tmp_path, opcua_credentials[1], "Buffer.TempTop", "Pumps.Duty", "Oil.Enable", "Meter.Energy"
    )
    assert code == 0, err
    got = json.loads([line for line in out.splitlines() if line.startswith('{"')][-1])
    assert got["Buffer.TempTop"]["value"] == pytest.approx(values["buffer.temp_top"], abs=0.01)
    assert got["Pumps.Duty"]["value"] == values["pumps.duty"]
    assert got["Oil.Enable"]["value"] is False
    assert got["Meter.Energy"]["status"] == "Good"
    assert {"Buffer.TempTop", "Oil.Enable", "Meter.Power"} <= set(got["_browsed"])


async def test_node_opcua_with_a_wrong_password_is_denied(sim: SimulatorServers, tmp_path: Path) -> None:
    code, _, err = await _read(sim, tmp_path, "wrong-password", "Buffer.TempTop")
    assert code != 0
    assert "BadUserAccessDenied" in err


async def test_node_opcua_forced_to_mode_none_gets_no_session(
    sim: SimulatorServers, tmp_path: Path, opcua_credentials: tuple[str, str]
) -> None:
    """A peer set to MessageSecurityMode None, with the right user and password, reads nothing.

    node-opcua (2.x) stops by itself, as asyncua's client does: the server offers no endpoint
    without security, so it never sends the password. The low-level attack that does send it is
    ``tests/simulations/test_security.py::test_password_over_a_channel_without_security_*``.
    """
    code, out, err = await _read(sim, tmp_path, opcua_credentials[1], "Oil.Setpoint", mode="None")
    assert code != 0, out
    assert "End point must exist" in err or "BadSecurityModeRejected" in err
    assert not [line for line in out.splitlines() if line.startswith("{")]


async def test_node_opcua_with_a_certificate_not_in_the_trust_list_is_refused(
    sim: SimulatorServers, tmp_path: Path, opcua_credentials: tuple[str, str]
) -> None:
    code, out, err = await _read(sim, tmp_path, opcua_credentials[1], "Buffer.TempTop", trusted=False)
    assert code != 0, out
    assert "BadCertificateUntrusted" in err
