"""Interop tests reuse the simulator fixtures: our servers, read by peers we did not write."""

from tests.simulations.conftest import opcua_credentials, shared_sim, sim  # noqa: F401 - pytest fixtures
