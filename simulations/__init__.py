"""The plant simulator: a first-principles model of the plant and the PLCs that serve it.

It is the PLC, not a client of ours: it imports only the ground floor (``chaufferie.config``).
- :mod:`.plant` — the model in model time (``Plant.step/read/write/inject/clear``), no sockets;
  its parts in :mod:`.wood`, :mod:`.fuel`, :mod:`.hydraulics`, :mod:`.weather`;
- :mod:`.faults` and :mod:`.scenarios` — fault injection per alarm code, named scenarios;
- :mod:`.server` — ``SimulatorServers``: Modbus TCP (:mod:`.modbus_server`) and secured OPC UA
  (:mod:`.opcua_server`, :mod:`.security`) on loopback, with the test API for comm-loss tests;
- :mod:`.headless` (fixed-load commissioning check) and :mod:`.pointmap` (``--print-map``);
- :mod:`.modem` and :mod:`.modem_at` — the GSM modem of the alerting chain on a pseudo-terminal
  (the AT commands Gammu uses, the network's log, faults), ``chaufferie sim-modem``.
"""

if not __name__.startswith("chaufferie."):  # run from the source tree, the folder is importable bare
    raise ImportError(f"import chaufferie.{__name__}, not {__name__}: a second copy of the layer")
