"""``chaufferie user``: secrets from stdin (never argv), audited in the historian; first admin from env."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select

from chaufferie.config.clock import VirtualClock
from chaufferie.config.vocabulary import Role
from chaufferie.historian.access_store import AccessStore
from chaufferie.historian.schema import operator_actions
from chaufferie.hmi.access.passwords import verify
from chaufferie.hmi.access.users import UserService


def chaufferie_user(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chaufferie.cli", "user", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_add_list_passwd_and_disable_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = chaufferie_user(
        data,
        "--stdin",
        "add",
        "claire",
        "--role",
        "admin",
        "--contact",
        "mgr-dubois",
        "--pin",
        stdin="a long admin password\n2468\n",
    )
    assert added.returncode == 0, added.stderr
    assert "a long admin password" not in added.stdout + added.stderr
    changed = chaufferie_user(data, "--stdin", "passwd", "claire", stdin="another long password\n")
    assert changed.returncode == 0, changed.stderr
    disabled = chaufferie_user(data, "disable", "claire")
    listed = chaufferie_user(data, "list")
    assert "claire" in listed.stdout
    assert "disabled" in listed.stdout
    weak = chaufferie_user(data, "--stdin", "add", "bob", "--role", "viewer", stdin="short\n")
    assert weak.returncode == 1
    assert "at least 10" in weak.stderr
    engine = create_engine(f"sqlite:///{data / 'chaufferie.db'}")
    user = AccessStore(engine).get_user("claire")
    assert user is not None
    assert (user.role, user.contact_id, user.disabled) == (Role.ADMIN, "mgr-dubois", True)
    assert verify(user.password_hash, "another long password")
    assert verify(user.pin_hash, "2468")
    with engine.connect() as conn:
        rows = conn.execute(select(operator_actions.c.kind, operator_actions.c.channel)).all()
    assert [tuple(r) for r in rows] == [("user_changed", "cli")] * 3
    engine.dispose()
    assert disabled.returncode == 0


def test_first_admin_comes_from_the_environment_only_once(tmp_path: Path) -> None:
    store = AccessStore.from_url(f"sqlite:///{tmp_path / 'a.db'}", create=True)
    users = UserService(store, VirtualClock())
    env = {"CHAUFFERIE_ADMIN_USER": "admin", "CHAUFFERIE_ADMIN_PASSWORD": "first start password"}
    assert users.bootstrap_admin({}) is None  # no variables: no account at all
    created = users.bootstrap_admin(env)
    assert created is not None
    assert created.role is Role.ADMIN
    assert users.bootstrap_admin({**env, "CHAUFFERIE_ADMIN_USER": "other"}) is None
    assert [u.username for u in store.list_users()] == ["admin"]
    store.engine.dispose()
