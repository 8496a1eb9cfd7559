"""The HMI's pages, one module each, all drawn inside the shared frame (:mod:`.frame`).

Each module has ``register(services)`` that declares its NiceGUI page(s). Pages read the
live view model and call the services of :class:`~chaufferie.hmi.services.HmiServices`; they hold no plant
logic. May import ``config`` and the rest of ``hmi``.
"""
