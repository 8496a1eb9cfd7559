"""``chaufferie user add|passwd|disable|enable|unlock|list``: manage HMI and phone users.

Passwords and PINs are asked twice without echo, or read from standard input with
``--stdin`` (password on the first line, PIN on the second), never from the command line.
Each change is recorded in the audit log (channel ``cli``) through the historian.

There is no default account: create the first admin with
``chaufferie user add --role admin NAME`` (or set ``CHAUFFERIE_ADMIN_USER`` and
``CHAUFFERIE_ADMIN_PASSWORD`` for the first start).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any, TextIO

from chaufferie.config.bus import Bus
from chaufferie.config.clock import RealClock
from chaufferie.config.loader import ConfigError, load_config
from chaufferie.config.settings import PlantConfig, Site
from chaufferie.config.vocabulary import Channel, Context, Role
from chaufferie.historian import database
from chaufferie.historian.access_store import AccessStore, UnknownUserError, UserExistsError
from chaufferie.historian.city import CITY_SITE
from chaufferie.historian.writer import HistorianWriter
from chaufferie.hmi.access.audit import Audit
from chaufferie.hmi.access.passwords import WeakSecretError
from chaufferie.hmi.access.users import UserService


class SecretInputError(ValueError):
    """The secret could not be read (mismatch, end of input)."""


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("user", help="manage users / gérer les utilisateurs")
    p.add_argument("--config", default=None, help="configuration file (default: the shipped one)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--stdin", action="store_true", help="read password (and PIN) from standard input")
    p.add_argument(
        "--db",
        default=None,
        help="the users of a central database instead (URL; or $CHAUFFERIE_CENTRAL_DB with --central)",
    )
    p.add_argument(
        "--central", action="store_true", help="the central database named by $CHAUFFERIE_CENTRAL_DB"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--contact", default=None, help="contact id from the configuration (for alarm links)")
    add.add_argument("--pin", action="store_true", help="also set a PIN (for the phone page)")
    passwd = actions.add_parser("passwd", help="change a password (or the PIN with --pin)")
    passwd.add_argument("username")
    passwd.add_argument("--pin", action="store_true")
    switches = (("disable", "disable a user"), ("enable", "enable a user"), ("unlock", "lift a lockout"))
    for name, help_text in switches:
        actions.add_parser(name, help=help_text).add_argument("username")
    actions.add_parser("list", help="list users")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        overrides = {"data_dir": args.data_dir} if args.data_dir else {}
        cfg = load_config(args.config, **overrides)
    except ConfigError as exc:
        print(f"{len(exc.issues)} problem(s) in {exc.file}", file=sys.stderr)
        return 1
    central = args.db or (os.environ.get("CHAUFFERIE_CENTRAL_DB", "") if args.central else "")
    if args.central and not central:
        print("--central: CHAUFFERIE_CENTRAL_DB is not set", file=sys.stderr)
        return 2
    if central:  # the city view's users, audited as the central's own records
        storage = cfg.storage.model_copy(update={"url": central, "password_env": None})
        data_dir = args.data_dir or tempfile.mkdtemp(prefix="chaufferie-central-")
        site = Site(id=CITY_SITE, name="Ville")
        cfg = cfg.model_copy(update={"storage": storage, "site": site, "data_dir": data_dir})
    try:
        change = _prepare(args)
    except SecretInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_apply(cfg, change, register_points=not central))


Change = Callable[[UserService, Context], str]


def _prepare(args: argparse.Namespace) -> Change:
    """Read secrets first (before touching the database), then return the change to apply."""
    reader = _stdin_reader(sys.stdin) if args.stdin else _prompt
    action = args.action
    if action == "add":
        password = reader("Mot de passe / Password: ")
        return _add_change(args, password, reader("Code PIN / PIN: ") if args.pin else None)
    if action == "list":
        return lambda users, _ctx: _listing(users)
    name: str = args.username
    if action == "passwd":
        secret = reader("Code PIN / PIN: " if args.pin else "Mot de passe / Password: ")

        def passwd(users: UserService, ctx: Context) -> str:
            (users.set_pin if args.pin else users.set_password)(name, secret, ctx)
            return f"{name}: {'PIN' if args.pin else 'password'} changed"

        return passwd

    def switch(users: UserService, ctx: Context) -> str:
        if action == "unlock":
            users.unlock(name, ctx)
        else:
            users.set_disabled(name, action == "disable", ctx)
        return f"{name}: {action}d" if action != "unlock" else f"{name}: unlocked"

    return switch


def _add_change(args: argparse.Namespace, password: str, pin: str | None) -> Change:
    def add(users: UserService, ctx: Context) -> str:
        user = users.add(
            args.username,
            Role(args.role),
            password,
            ctx,
            display_name=args.name,
            pin=pin,
            contact_id=args.contact,
        )
        return f"{user.username}: created ({user.role.value})"

    return add


def _listing(users: UserService) -> str:
    rows = [
        f"{u.username:<16} {u.role.value:<11} {u.contact_id or '-':<16} "
        f"{'disabled' if u.disabled else 'locked' if u.locked_until else 'active':<9} {u.display_name}"
        for u in users.list()
    ]
    if not rows:
        return "no users: create the first admin with `chaufferie user add --role admin NAME`"
    return "\n".join(rows)


async def _apply(cfg: PlantConfig, change: Change, register_points: bool = True) -> int:
    bus, clock = Bus(), RealClock()
    writer = HistorianWriter(cfg, bus, clock, register_points=register_points)
    await asyncio.to_thread(database.migrate, writer.engine)
    async with writer:  # records what is published on the bus when it flushes
        contacts = frozenset(c.id for c in cfg.contacts)
        users = UserService(AccessStore(writer.engine), clock, Audit(bus, clock), lambda: contacts)
        context = Context(origin="cli", user=os.environ.get("USER", "cli"), channel=Channel.CLI)
        try:
            print(await asyncio.to_thread(change, users, context))
        except (UserExistsError, UnknownUserError, WeakSecretError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


def _prompt(label: str) -> str:
    first = getpass.getpass(label)
    if getpass.getpass("Confirmer / Confirm: ") != first:
        raise SecretInputError("the two entries differ")
    return first


def _stdin_reader(stream: TextIO) -> Callable[[str], str]:
    def read(_label: str) -> str:
        line = stream.readline()
        if not line:
            raise SecretInputError("standard input ended before the secret")
        return line.rstrip("\r\n")

    return read
