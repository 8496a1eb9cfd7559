"""Column types shared by the historian's tables.

:class:`UtcTime` stores an aware ``datetime`` in UTC: as an integer count of microseconds
since the Unix epoch on SQLite (compact, fast to compare and to bucket) and as
``TIMESTAMP WITH TIME ZONE`` on PostgreSQL (partitions and BRIN indexes by time). Python
code only ever sees aware UTC datetimes; a naive datetime is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime refused by the historian: {value!r}")
    return (value - EPOCH) // _US


def from_us(value: int) -> datetime:
    """The aware UTC datetime of a count of microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=value)


class UtcTime(TypeDecorator[datetime]):
    """An instant in UTC (see the module docstring for its storage per dialect)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | int | None, dialect: Dialect) -> Any:
        """Accepts an aware datetime, or an int of microseconds since the epoch (fast path)."""
        if value is None:
            return None
        if isinstance(value, int):
            return value if dialect.name == "sqlite" else from_us(value)
        if dialect.name == "sqlite":
            return to_us(value)
        if value.tzinfo is None:
            raise ValueError(f"naive datetime refused by the historian: {value!r}")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int | float):
            return from_us(int(value))
        result: datetime = value
        return result.astimezone(UTC)
