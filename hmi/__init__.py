"""The web HMI (NiceGUI): live synoptic, alarms, history, trends, reports, logbook, control.

Owns the screens and their view models. Pages read :class:`~.viewmodel.PlantView`, which
:class:`~.live.LiveModel` folds from the bus; operator actions go through the Protocols of
:mod:`.ports` (implemented by the lower layers, injected by the composition root) or become
``OperatorAction`` messages on the bus. Entry points for the root: :mod:`.app`.
May import every layer below (``config`` … ``historian``); in practice it needs only
``config`` and the Protocols it declares. ``hmi.access`` (auth, ack links) lives beside it.
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
