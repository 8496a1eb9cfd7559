"""The web HMI (NiceGUI): live synoptic, alarms, history, trends, reports, logbook, control.

Owns the screens and their view models. Pages read :class:`~.viewmodel.PlantView`, which
:class:`~.live.LiveModel` folds from the bus; operator actions call the lower layers'
services (given in :class:`~.services.HmiServices` by the composition root) through the
HMI's own classes (:mod:`.alarm_actions`, :mod:`.history`, :mod:`.interventions`,
:mod:`.settings_store`, :mod:`.simulator_control`) or become messages on the bus. Entry
points for the root: :mod:`.app`. May import every layer below (``config`` … ``historian``).
``hmi.access`` (auth, ack links) lives beside it.
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
