"""Alembic environment of the historian (run programmatically by ``database.migrate``).

The target metadata is :data:`chaufferie.historian.schema.metadata`; the access helper's
tables, the alarms', the maintenance follow-up's, the meters' and the city-wide exchange's
(``access_schema``, ``alarm_schema``, ``maintenance_schema``, ``meter_schema``,
``central_schema``) are imported when that module exists so that
autogenerate sees them. The connection comes from ``config.attributes["connection"]`` when
the caller passes one, otherwise from ``sqlalchemy.url``.
"""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import Connection, create_engine

from chaufferie.historian.schema import metadata

for module in (
    "chaufferie.historian.access_schema",
    "chaufferie.historian.alarm_schema",
    "chaufferie.historian.maintenance_schema",
    "chaufferie.historian.meter_schema",
    "chaufferie.historian.central_schema",
):
    try:
        importlib.import_module(module)
    except ModuleNotFoundError:
        pass

target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
