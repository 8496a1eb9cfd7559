"""chaufferie: supervisory system for a municipal wood-chip boiler plant with oil backup.

This root package is the composition root: the command line (``cli``, one module per
subcommand in ``commands``), the wiring of every layer (``wiring``) under one lifespan
(``lifespan``), the
health route (``web``) and the closed-loop replay (``replay``, fed by ``replay_tap``). It is
the one place that imports all the layers.
"""

__version__ = "0.1.0"
