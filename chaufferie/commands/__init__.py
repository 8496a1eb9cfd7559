"""Subcommands of the ``chaufferie`` command, one module each (see :mod:`chaufferie.cli`)."""
