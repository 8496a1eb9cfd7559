"""chaufferie: supervisory system for a municipal wood-chip boiler plant with oil backup.

This root package is the composition root: the command line (``cli``) and the wiring that
starts every layer under one lifespan. It is the one place that imports all the layers.
"""

__version__ = "0.1.0"
