"""Pairing the bridge with the plant simulator: each trusts the other's OPC UA certificate.

What commissioning does by hand with a real PLC, done for the demo and the tests: the
simulator's server certificate goes into the bridge's trusted folder
(``link.trusted_server_certs_dir``) and the bridge's client certificate (generated here if it
does not exist yet) into the simulator's trust list (``<sim data>/pki/trusted-clients/``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from chaufferie.config.points import OpcUaLink
from chaufferie.config.settings import PlantConfig
from chaufferie.plc_bridge.opcua_security import Pki, ensure_client_certificate
from chaufferie.simulations.security import SERVER_CERT, trust_client


async def pair_with_simulator(cfg: PlantConfig, sim_pki: Path) -> None:
    """Make every OPC UA link of ``cfg`` and the simulator whose PKI is ``sim_pki`` trust each other."""
    for link in cfg.links.values():
        if isinstance(link, OpcUaLink):
            pki = Pki.of(cfg, link)
            pki.trusted.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(sim_pki / SERVER_CERT, pki.trusted / SERVER_CERT)
            trust_client(sim_pki, await ensure_client_certificate(pki))
