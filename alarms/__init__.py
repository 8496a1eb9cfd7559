"""Alarms: ISA-18.2 alarm states, notifications (SMS, email, local outbox), on-call and watchdog.

Owns the alarm engine (one state machine per alarm occurrence), the persisted notification
outbox and its channels (Twilio SMS, SMTP email, local folder), the on-call rota and
escalation, and the watchdog of the alerting chain. :class:`~chaufferie.alarms.service.AlarmService`
wires them together.

May import ``chaufferie.config`` (vocabulary, bus, clock, settings), ``chaufferie.plc_bridge``
and ``chaufferie.supervisor``; never the historian or the HMI (they implement the
:class:`~chaufferie.alarms.store.AlarmStore` protocol or call the operations API).
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
