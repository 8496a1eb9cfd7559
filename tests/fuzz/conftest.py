"""The fuzzing pass reuses the access tests' running site (web app, store, alarm engine)."""

from __future__ import annotations

from tests.access.conftest import site

__all__ = ["site"]
