"""A plain asyncua server on loopback, secured like the plant's, for tests needing no plant model.

Offers only SignAndEncrypt endpoints (Basic256Sha256, Aes128/Aes256) unless ``no_security``,
checks one username/password (no anonymous login) with a real user manager, and serves
one variable per OPC UA point of the configuration under ``urn:chaufferie:plant``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager
from cryptography.x509.oid import ExtendedKeyUsageOID

from chaufferie.config.points import OpcUaSource, Point
from chaufferie.plc_bridge.opcua_source import VARIANTS

USER, PASSWORD = "bridge", "s3cret-test"
SECURE = [
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_SignAndEncrypt,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
]


class OneUser(UserManager):
    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username == USER and password == PASSWORD:
            return User(role=UserRole.User, name=username)
        return None


class PlainOpcUaServer:
    """Start/stop an asyncua server at ``opc.tcp://127.0.0.1:port/chaufferie``; set node values."""

    def __init__(self, port: int, points: list[Point], pki: Path, no_security: bool = False) -> None:
        self.port = port
        self.points = [p for p in points if isinstance(p.source, OpcUaSource)]
        self.pki = pki
        self.no_security = no_security
        self.server: Server | None = None
        self.nodes: dict[str, Any] = {}
        self.values: dict[str, Any] = {}

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/chaufferie"

    @property
    def cert(self) -> Path:
        return self.pki / "server_cert.der"

    async def start(self) -> None:
        self.pki.mkdir(parents=True, exist_ok=True)
        key = self.pki / "server_key.pem"
        await setup_self_signed_certificate(
            key, self.cert, "urn:chaufferie:test-server", "localhost", [ExtendedKeyUsageOID.SERVER_AUTH], {}
        )
        server = Server(user_manager=OneUser())
        await server.init()
        server.set_endpoint(self.endpoint)
        await server.set_application_uri("urn:chaufferie:test-server")
        if self.no_security:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
            server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])
        else:
            server.set_security_policy(SECURE)
            server.set_identity_tokens([ua.UserNameIdentityToken])
        await server.load_certificate(str(self.cert))
        await server.load_private_key(str(key))
        ns = await server.register_namespace("urn:chaufferie:plant")
        objects = server.nodes.objects
        for p in self.points:
            src = p.source
            assert isinstance(src, OpcUaSource)
            initial = self.values.get(p.name, _zero(src))
            var = await objects.add_variable(
                ua.NodeId(src.node, ns), src.node, ua.Variant(initial, VARIANTS[src.type])
            )
            if p.writable:
                await var.set_writable()
            self.nodes[p.name] = var
        await server.start()
        self.server = server

    async def stop(self) -> None:
        if self.server is not None:
            for name, node in self.nodes.items():
                self.values[name] = await node.read_value()
            await self.server.stop()
            self.server = None

    async def set(self, point: str, value: Any, status: ua.StatusCode | None = None) -> None:
        node = self.nodes[point]
        src = next(p.source for p in self.points if p.name == point)
        assert isinstance(src, OpcUaSource)
        variant = ua.Variant(value, VARIANTS[src.type])
        await node.write_value(ua.DataValue(variant, StatusCode=status or ua.StatusCode(ua.StatusCodes.Good)))

    async def get(self, point: str) -> Any:
        return await self.nodes[point].read_value()


def _zero(src: OpcUaSource) -> Any:
    if src.type.value == "Boolean":
        return False
    if src.type.value in ("Float", "Double"):
        return 0.0
    return 0 if src.type.value != "String" else ""
