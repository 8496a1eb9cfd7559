"""The PLC bridge's exception tree (one root, every branch documented here).

``BridgeError``
    root of everything the bridge raises on purpose.

    ``LinkError``
        a link cannot deliver right now (connection refused or lost, timeout, a server that
        answers with a Modbus exception or an OPC UA bad status, a malformed reply). Sources
        catch it: the link's points turn Bad and the source reconnects with backoff. A write
        that meets it is reported ``FAILED``.

        ``UntrustedServerCertificate``
            an OPC UA server presented a certificate that is not in the trusted folder.
            The message says where the certificate was saved and where to copy it.

    ``WriteRefused``
        a command that must not reach the PLC (unknown or read-only point, value of the wrong
        kind or outside bounds, too soon after the previous write). ``code`` is a key of
        :data:`chaufferie.plc_bridge.texts.TEXTS`.

    ``DecodeError``
        a configured point that cannot be encoded or decoded (a value that does not fit its
        type). Raised at configuration or write time, never while polling.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Root of the PLC bridge's errors."""


class LinkError(BridgeError):
    """A link cannot deliver right now: its points turn Bad and it reconnects."""


class UntrustedServerCertificate(LinkError):
    """An OPC UA server's certificate is not trusted (see the message for where to put it)."""


class WriteRefused(BridgeError):
    """A command refused before reaching the PLC; ``code`` names the reason in the catalogue."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DecodeError(BridgeError):
    """A value that cannot be encoded or decoded for its configured type."""
