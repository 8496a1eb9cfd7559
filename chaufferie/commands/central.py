"""``chaufferie central``: the city's central server (docs/central.md).

* ``central serve``: the receiver of the sites' batches (HTTPS with ``--tls-cert/--tls-key``),
  stateless over the central database;
* ``central keygen``: a new key pair for a site: the private key (PEM) for the site's
  environment variable ``CHAUFFERIE_SITE_KEY``, the public key for ``central site add``;
* ``central site add|revoke|list``: the sites allowed to send;
* ``central import FILE…``: batch files of a registered site (a building without our plant
  software, or a site that keeps its data locally and hands over files), checked like a
  received batch;
* ``central meter-feed CSV --site S``: a CSV of meter readings as such a batch file.

The database is ``--db`` or the environment variable ``CHAUFFERIE_CENTRAL_DB`` (a URL may hold
a password: give it through the environment); PostgreSQL for a city, SQLite for a trial.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import uvicorn
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from chaufferie.commands import documents
from chaufferie.historian import central_protocol as proto
from chaufferie.historian.central_receiver import (
    CentralStore,
    Receiver,
    Refused,
    check_document,
    receiver_name,
)
from chaufferie.historian.central_registry import RegistryError, list_sites, register_site, revoke_site
from chaufferie.historian.database import make_engine, migrate
from chaufferie.historian.espi_schema import SchemaMissingError
from chaufferie.historian.exchange import ExchangeError, parse_batch
from chaufferie.historian.meter_feed import MeterFeedError, meter_batch, read_csv
from chaufferie.hmi.access.web import security_headers
from chaufferie.hmi.app import QuietServer
from chaufferie.hmi.city import CityServices, mount_city

DB_ENV = "CHAUFFERIE_CENTRAL_DB"
HMI_SIGNING_ENV = "CHAUFFERIE_SECRET_KEY"
log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "central", help="city-wide central server / serveur central de la ville"
    )
    p.add_argument("--db", default=None, help=f"central database URL (default: ${DB_ENV})")
    central = p.add_subparsers(dest="central_command", required=True, metavar="ACTION")
    serve = central.add_parser("serve", help="receive the sites' batches / recevoir les lots des sites")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--tls-cert", default=None, help="PEM certificate (HTTPS); with --tls-key")
    serve.add_argument("--tls-key", default=None)
    serve.add_argument(
        "--workers", type=int, default=2, help="imports at a time; more waits (503 Retry-After)"
    )
    serve.add_argument("--max-bytes", type=int, default=proto.MAX_BATCH_BYTES, help="largest batch read")
    serve.add_argument("--hmi-port", type=int, default=None, help="also serve the city view on this port")
    serve.add_argument("--hmi-host", default="127.0.0.1", help="the city view's address (behind HTTPS)")
    serve.add_argument(
        "--data-dir", default=None, help="the city view's browser storage (default: a new private folder)"
    )
    serve.set_defaults(func=_serve)
    keygen = central.add_parser("keygen", help="a new key pair for a site / une paire de clés pour un site")
    keygen.add_argument("--public-out", default=None, help="write the public key there too")
    keygen.set_defaults(func=_keygen)
    site = central.add_parser("site", help="the sites allowed to send / les sites autorisés")
    sites = site.add_subparsers(dest="site_command", required=True, metavar="ACTION")
    add = sites.add_parser("add", help="register a site or renew its key")
    add.add_argument("site")
    add.add_argument("--name", default="")
    add.add_argument("--kind", choices=("plant", "meters"), default="plant")
    add.add_argument("--public-key", default=None, help="PEM file of the site's public key, or - for stdin")
    add.set_defaults(func=_site_add)
    revoke = sites.add_parser("revoke", help="refuse a site's batches from now on")
    revoke.add_argument("site")
    revoke.set_defaults(func=_site_revoke)
    sites.add_parser("list", help="the registered sites").set_defaults(func=_site_list)
    imp = central.add_parser("import", help="import batch files of a registered site")
    imp.add_argument("files", nargs="+")
    imp.set_defaults(func=_import)
    feed = central.add_parser(
        "meter-feed", help="a CSV of meter readings as a batch / un CSV de relevés en lot d'échange"
    )
    feed.add_argument("csv", help="compteur;date;index;unité (French) or meter,date,index,unit")
    feed.add_argument("--site", required=True, help="the building's site id (registered --kind meters)")
    feed.add_argument("--name", default="", help="the building's name")
    feed.add_argument("--timezone", default="Europe/Paris", help="of the CSV's dates")
    feed.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    feed.set_defaults(func=_meter_feed)


def _engine(args: argparse.Namespace) -> Engine:
    url = args.db or os.environ.get(DB_ENV, "")
    if not url:
        raise RegistryError(f"no central database: give --db URL or set {DB_ENV}")
    engine = make_engine(url)
    migrate(engine)
    return engine


def _run(args: argparse.Namespace, action: Any) -> int:
    """``action(engine, args)`` on the central database; bad input exits 2, an outage 3."""
    engine: Engine | None = None
    try:
        engine = _engine(args)
        return int(action(engine, args))
    except (RegistryError, OSError, SchemaMissingError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"central database unavailable: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3
    finally:
        if engine is not None:
            engine.dispose()


def _serve(args: argparse.Namespace) -> int:
    return _run(args, _serve_on)


def _serve_on(engine: Engine, args: argparse.Namespace) -> int:
    context = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise RegistryError("HTTPS needs both --tls-cert and --tls-key")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    secret = ""
    if args.hmi_port is not None:
        secret = os.environ.get(HMI_SIGNING_ENV, "")
        if len(secret) < 16:
            raise RegistryError(
                f"the city view signs its sessions with {HMI_SIGNING_ENV} (16 characters at least)"
            )
    receiver = Receiver(CentralStore(engine, receiver_name()), max_bytes=args.max_bytes, workers=args.workers)
    try:
        asyncio.run(_serve_all(engine, receiver, context, secret, args))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve_all(
    engine: Engine, receiver: Receiver, context: ssl.SSLContext | None, secret: str, args: argparse.Namespace
) -> None:
    """The receiver and, with ``--hmi-port``, the city view, until SIGINT or SIGTERM."""
    runner = web.AppRunner(receiver.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port, ssl_context=context).start()
    scheme = "https" if context else "http"
    print(f"central receiver on {scheme}://{args.host}:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = None
    if args.hmi_port is not None:
        app = FastAPI(title="chaufferie — ville", docs_url=None, redoc_url=None, openapi_url=None)
        security_headers(app)
        storage = Path(args.data_dir or tempfile.mkdtemp(prefix="chaufferie-city-")) / "hmi"
        mount_city(app, CityServices(engine, receiver_name()), secret, storage)
        config = uvicorn.Config(
            app, host=args.hmi_host, port=args.hmi_port, log_level="warning", lifespan="on"
        )
        server = QuietServer(config)
        serving = asyncio.create_task(server.serve())
        print(f"city view on http://{args.hmi_host}:{args.hmi_port}", flush=True)
    try:
        await stop.wait()
    finally:
        if server is not None:
            server.should_exit = True
            await serving
        await runner.cleanup()


def _keygen(args: argparse.Namespace) -> int:
    key = proto.new_private_key()
    public = proto.public_pem(key.public_key())
    if args.public_out:
        Path(args.public_out).write_text(public, encoding="ascii")
    sys.stdout.write(
        f"# {proto.SITE_KEY_ENV} (secret: the site's environment only)\n{proto.private_pem(key)}"
    )
    sys.stdout.write(f"# public key (chaufferie central site add SITE --public-key FILE)\n{public}")
    return 0


def _site_add(args: argparse.Namespace) -> int:
    def add(engine: Engine, args: argparse.Namespace) -> int:
        pem = None
        if args.public_key == "-":
            pem = sys.stdin.read()
        elif args.public_key:
            pem = Path(args.public_key).read_text(encoding="ascii")
        register_site(engine, args.site, args.name, args.kind, pem, datetime.now(UTC))
        print(f"site {args.site} registered ({args.kind})")
        return 0

    return _run(args, add)


def _site_revoke(args: argparse.Namespace) -> int:
    def revoke(engine: Engine, args: argparse.Namespace) -> int:
        revoke_site(engine, args.site, datetime.now(UTC))
        print(f"site {args.site} revoked: its batches are refused from now on")
        return 0

    return _run(args, revoke)


def _site_list(args: argparse.Namespace) -> int:
    def show(engine: Engine, args: argparse.Namespace) -> int:
        for s in list_sites(engine):
            state = f"revoked {s.revoked_at:%Y-%m-%d}" if s.revoked_at else "active"
            print(f"{s.site_id}\t{s.kind}\t{state}\tlast_seq={s.last_seq}\t{s.name}")
        return 0

    return _run(args, show)


def _import(args: argparse.Namespace) -> int:
    def load(engine: Engine, args: argparse.Namespace) -> int:
        central, failed = CentralStore(engine, receiver_name()), 0
        for name in args.files:
            data = Path(name).read_bytes()
            try:
                check_document(data)
                accepted = central.store(data, datetime.now(UTC))
            except Refused as exc:
                failed += 1
                print(f"{name}: refused ({exc.reason.value}): {exc}", file=sys.stderr)
                central.refusal(site_hint(data), exc, "import", data, len(data), datetime.now(UTC))
                continue
            print(f"{name}: {accepted.rows} rows of {accepted.site}, stored up to {accepted.last_seq}")
        return 1 if failed else 0

    return _run(args, load)


def _meter_feed(args: argparse.Namespace) -> int:
    try:
        readings = read_csv(Path(args.csv).read_text(encoding="utf-8"), args.timezone)
        data = meter_batch(args.site, args.name or args.site, args.timezone, readings)
    except (MeterFeedError, OSError, UnicodeDecodeError, ZoneInfoNotFoundError) as exc:
        print(f"{args.csv}: {exc}", file=sys.stderr)
        return 2
    documents.write(data, args.output)
    return 0


def site_hint(data: bytes) -> str:
    """The site a document names, for the refusal's trace ("" if none can be read)."""
    try:
        return parse_batch(data)[0]
    except ExchangeError:
        return ""
