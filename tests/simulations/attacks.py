"""OPC UA clients that really try what a careful client refuses to do, to attack our servers.

asyncua's high-level :class:`~asyncua.Client` will not send a password over a channel without
security (it finds no such endpoint and stops); an attacker's tool, or a commissioning tool
set to mode None, does not stop. :func:`clear_text_session` drives asyncua's low-level calls by
hand: a SecureChannel with SecurityPolicy None (the discovery channel every server offers),
CreateSession, ActivateSession with the user name and the password *in clear*. The secured
variant :func:`secured_session` does the same over Basic256Sha256/SignAndEncrypt with any
client certificate, trusted or not, and may name another certificate in CreateSession than
the one that opened the channel (a trusted certificate is public: anyone can copy it). Both
return an :class:`Attempt` whose ``session`` is the
client when the server let it in (so the test can try to write), else ``None`` and the refusal.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from asyncua import Client, ua
from asyncua.common.utils import create_nonce
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

PLANT_NAMESPACE = "urn:chaufferie:plant"


@dataclass
class Attempt:
    """Where the server stopped the client (``refused_at``, ``status``) or the open client."""

    client: Client
    session: Client | None = None
    refused_at: str = ""
    status: str = ""

    async def write_double(self, node: str, value: float) -> ua.StatusCode:
        """Write ``node`` of the plant's namespace through the low-level session."""
        uaclient = self.client.uaclient
        ns_array = (
            await uaclient.read_attributes(
                [ua.NodeId(ua.ObjectIds.Server_NamespaceArray)], ua.AttributeIds.Value
            )
        )[0]
        idx = ns_array.Value.Value.index(PLANT_NAMESPACE)
        params = ua.WriteParameters()
        params.NodesToWrite = [
            ua.WriteValue(
                NodeId=ua.NodeId(node, idx),
                AttributeId=ua.AttributeIds.Value,
                Value=ua.DataValue(ua.Variant(value, ua.VariantType.Double)),
            )
        ]
        return (await uaclient.write(params))[0]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.disconnect()
        with contextlib.suppress(Exception):
            self.client.disconnect_socket()


def _create_parameters(client: Client, named_certificate: bytes | None) -> ua.CreateSessionParameters:
    params = ua.CreateSessionParameters()
    params.ClientNonce = create_nonce(32)
    params.ClientCertificate = named_certificate or client.security_policy.host_certificate
    params.ClientDescription = ua.ApplicationDescription(
        ApplicationUri=client.application_uri, ApplicationType=ua.ApplicationType.Client
    )
    params.EndpointUrl = client.server_url.geturl()
    params.SessionName = "attack"
    params.RequestedSessionTimeout = 30_000
    return params


async def _session(
    client: Client, user: str, password: str, named_certificate: bytes | None = None
) -> Attempt:
    attempt = Attempt(client)
    await client.connect_socket()
    await client.send_hello()
    await client.open_secure_channel()
    step = "CreateSession"
    try:
        created = await client.uaclient.create_session(_create_parameters(client, named_certificate))
        step = "ActivateSession"
        params = ua.ActivateSessionParameters()
        challenge = (client.security_policy.peer_certificate or b"") + (created.ServerNonce or b"")
        params.ClientSignature.Algorithm = SecurityPolicyBasic256Sha256.AsymmetricSignatureURI
        params.ClientSignature.Signature = client.security_policy.asymmetric_cryptography.signature(challenge)
        token = ua.UserNameIdentityToken()
        token.UserName = user
        token.Password = password.encode()  # in clear, whatever the channel
        token.PolicyId = "username"
        params.UserIdentityToken = token
        await client.uaclient.activate_session(params)
    except ua.UaStatusCodeError as exc:
        attempt.refused_at, attempt.status = step, type(exc).__name__
        return attempt
    attempt.session = client
    return attempt


async def clear_text_session(endpoint: str, user: str, password: str) -> Attempt:
    """SecurityPolicy None, CreateSession, ActivateSession with the password in clear."""
    client = Client(endpoint, timeout=5)
    client.application_uri = "urn:chaufferie:tests:attacker"
    return await _session(client, user, password)


async def secured_session(
    endpoint: str,
    server_cert: Path,
    key: Path,
    cert: Path,
    app_uri: str,
    user: str,
    password: str,
    named_certificate: bytes | None = None,
) -> Attempt:
    """Basic256Sha256/SignAndEncrypt with ``cert``; CreateSession names ``named_certificate`` if given."""
    client = Client(endpoint, timeout=5)
    client.application_uri = app_uri
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        str(cert),
        str(key),
        server_certificate=str(server_cert),
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )
    return await _session(client, user, password, named_certificate)
