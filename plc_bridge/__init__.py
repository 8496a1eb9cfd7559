"""PLC bridge: mirror the plant's points from Modbus TCP and OPC UA onto the bus, and write back.

Owns the reading of every configured point (one source per link: :mod:`.modbus_source`,
:mod:`.opcua_source`), the honesty of what it publishes (quality, staleness, link state:
:mod:`.tracking`, :mod:`.linkstate`) and the only path towards the PLC (:mod:`.writes`:
whitelisted points, bounds, rate limits, read-back, audit). :class:`~.service.Bridge` is the
service the composition root runs.

May import only :mod:`chaufferie.config` (the ground floor) and the protocol libraries
(pymodbus, asyncua, cryptography). Errors are described in :mod:`.errors`.
"""

from __future__ import annotations

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
