"""Shared settings of the fuzzing pass: bounded, deterministic, no example database.

``derandomize`` makes every run draw the same examples (CI and a laptop agree); ``database``
is off so nothing is written next to the sources; ``deadline`` is off because a shared
2-core machine makes single-example timings meaningless (each test has pytest-timeout).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""Property tests over in-process functions."""

FUZZ_HTTP = settings(FUZZ, max_examples=60)
"""Property tests that go through a real HTTP server (each example is a few requests)."""
