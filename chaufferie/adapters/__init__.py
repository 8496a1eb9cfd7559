"""Adapters of the composition root: the lower layers' services seen through the HMI's ports.

The HMI declares small Protocols (:mod:`chaufferie.hmi.ports`); the layers below offer their
own APIs. These adapters join them without either side importing the other's internals:
``alarms`` (alarm operations +
remote reset → ``AlarmActions``), ``history`` (historian → ``HistoryQueries``),
``interventions`` (the access layer's intervention desk → ``Interventions``), ``scenarios``
(the simulator's runtime control → ``ScenarioRunner``) and ``settings`` (settings changed from
the HMI, kept → ``SettingsStore``).
"""
