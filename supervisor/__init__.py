"""Supervisor: keeps wood first and starts oil as replacement (relève) or top-up (appoint).

Owns the plant-mode state machine (:mod:`.modes`), the cascade rules of docs/domain.md §2
(:mod:`.cascade`, :mod:`.oil`, :mod:`.wood`), the duty/standby pumps (:mod:`.pumps`), the
transfer-screw tests (:mod:`.screws`) and the heating curve. :mod:`.core` is the pure,
synchronous decision function; :mod:`.service` wraps it as an async bus service. Reason codes
are listed in :mod:`.reasons`.

May import: ``chaufferie.config`` and ``chaufferie.plc_bridge`` (it needs neither more nor
the layers above).
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
