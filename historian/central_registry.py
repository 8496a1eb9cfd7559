"""The sites a central database knows: register, revoke, list (``chaufferie central site``).

A site that forwards is registered with its Ed25519 public key (kind ``plant``); a building
without our plant software, fed by uploaded files, without a key (kind ``meters``). Revoking
keeps the site's data and refuses its batches from then on; registering it again with a new
key lifts the revocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from chaufferie.historian import schema
from chaufferie.historian.central_protocol import load_public_key, public_pem
from chaufferie.historian.central_schema import central_sites

KINDS = ("plant", "meters")


class RegistryError(ValueError):
    """A registration refused, saying why."""


@dataclass(frozen=True, slots=True)
class SiteEntry:
    site_id: str
    name: str
    kind: str
    registered_at: datetime
    revoked_at: datetime | None
    last_seq: int


def register_site(
    engine: Engine, site: str, name: str, kind: str, public_key: str | None, now: datetime
) -> None:
    """Register ``site`` (or renew its key and name, lifting a revocation)."""
    if kind not in KINDS:
        raise RegistryError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not site or len(site) > 64 or not site.replace("-", "").replace("_", "").isalnum():
        raise RegistryError(f"site id {site!r}: 1 to 64 letters, digits, '-' or '_'")
    pem = None
    if public_key is not None:
        try:
            pem = public_pem(load_public_key(public_key))
        except ValueError as exc:
            raise RegistryError(f"public key of {site!r}: {exc}") from exc
    elif kind == "plant":
        raise RegistryError(f"a plant site ({site!r}) needs its public key (chaufferie central keygen)")
    values = {"name": name or site, "kind": kind, "public_key": pem, "registered_at": now, "revoked_at": None}
    with engine.begin() as conn:  # rare and by hand: read, then update or insert
        where = central_sites.c.site_id == site
        if conn.execute(select(central_sites.c.site_id).where(where)).first() is None:
            conn.execute(central_sites.insert().values(site_id=site, **values))
        else:
            conn.execute(central_sites.update().where(where).values(**values))


def revoke_site(engine: Engine, site: str, now: datetime) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            central_sites.update().where(central_sites.c.site_id == site).values(revoked_at=now)
        ).rowcount
    if not done:
        raise RegistryError(f"site {site!r} is not registered")


def list_sites(engine: Engine) -> list[SiteEntry]:
    s, q = central_sites, schema.site_sequences
    query = select(s, q.c.last_seq).outerjoin(q, q.c.site_id == s.c.site_id).order_by(s.c.site_id)
    with engine.connect() as conn:
        return [
            SiteEntry(r.site_id, r.name, r.kind, r.registered_at, r.revoked_at, int(r.last_seq or 0))
            for r in conn.execute(query)
        ]
