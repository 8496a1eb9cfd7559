"""Ground floor of chaufferie: configuration, shared vocabulary, bus and clock.

Owns the pydantic models of the plant configuration (``settings``, ``points``, ...), the
loader that turns YAML into those models with errors naming file, line, field and value
(``loader``), the small frozen types that travel on the bus (``vocabulary``), the
publish/subscribe bus (``bus``) and the injected clock (``clock``).

May import: the standard library and third-party libraries only. Every other layer of
chaufferie imports this one; this one imports none of them.
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
