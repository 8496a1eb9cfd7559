"""The conduite records of the logbook (Joucas tender §3.4): checked, then put on the bus.

Chip deliveries, ash removals, water make-ups ("appoint d'eau": litres, pressure before and
after when read) and air purges ("purge d'air": where). Each entry is checked here (a bad
one raises ``ValueError`` with a French / English message, and nothing is recorded), then
becomes a :class:`PlantEvent` (the logbook, the live view, the history) and an
:class:`OperatorAction` (the audit, and for deliveries and ash the historian's tables and the
report). Two facts, each in one place:

* the **physical** bound of a chip humidity (wet basis, 0 to below 100 %) is
  :data:`chaufferie.config.ranges.MoisturePct`: beyond it the entry is refused;
* the **contract's** range (``plant.chips_humidity_min_pct`` .. ``max_pct``, 20–35 % by
  default) only flags the delivery "hors contrat / out of contract": it is still recorded.

No page code: :mod:`chaufferie.hmi.pages.logbook` calls these with the signed-in user's
context after checking the role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chaufferie.config.plant import Litres, PlantSettings
from chaufferie.config.ranges import Bar, MoisturePct
from chaufferie.config.vocabulary import ActionKind, Context, PlantEvent, PlantEventKind, Scalar
from chaufferie.hmi.services import HmiServices

PLACE_MAX_CHARS = 200
OUT_OF_CONTRACT = "hors contrat / out of contract"


def _checked(kind: Any, value: float, what_fr: str, what_en: str, unit: str) -> float:
    """``value`` if the annotated ``kind`` accepts it; else a French / English ``ValueError``."""
    try:
        return float(TypeAdapter(kind).validate_python(value))
    except ValidationError as exc:
        why = exc.errors()[0].get("msg", "")
        raise ValueError(
            f"{what_fr} {value:g} {unit} impossible / {what_en} {value:g} {unit} impossible ({why})"
        ) from None


@dataclass(frozen=True, slots=True)
class Delivery:
    kg: float
    m3: float
    supplier: str
    humidity_pct: float | None
    out_of_contract: bool


def delivery(
    quantity: float, unit: str, supplier: str, humidity: float | None, plant: PlantSettings
) -> Delivery:
    """Check a delivery and convert it (t or m³) to kg and m³; ``ValueError`` when wrong."""
    if unit not in ("t", "m3"):
        raise ValueError(f"unit must be t or m3, not {unit!r}")
    if not quantity > 0:
        raise ValueError("quantity must be positive")
    kg = quantity * 1000 if unit == "t" else quantity * plant.chips_bulk_density_kg_m3
    if kg > 2 * plant.silo_full_kg:
        raise ValueError(f"{kg:.0f} kg is more than twice the silo ({plant.silo_full_kg:.0f} kg)")
    flagged = False
    if humidity is not None:
        humidity = _checked(MoisturePct, humidity, "humidité", "humidity", "%")
        flagged = not plant.humidity_in_contract(humidity)
    return Delivery(kg, kg / plant.chips_bulk_density_kg_m3, supplier.strip(), humidity, flagged)


def record_delivery(services: HmiServices, context: Context, d: Delivery) -> PlantEvent:
    """The delivery's event (``kg``: the silo forecast restarts from it) and its audit record
    (with the historian's keys, for the ``chip_deliveries`` table and the report)."""
    values: dict[str, Scalar] = {
        "kg": round(d.kg, 1),
        "m3": round(d.m3, 2),
        "supplier": d.supplier,
        "humidity_pct": d.humidity_pct,
        "out_of_contract": d.out_of_contract,
    }
    flag = f" — {OUT_OF_CONTRACT} ({d.humidity_pct:g} %)" if d.out_of_contract else ""
    event = _publish(
        services, context, PlantEventKind.CHIP_DELIVERY, values, f"chip delivery {d.kg:.0f} kg{flag}"
    )
    details = {
        "mass_kg": round(d.kg, 1),
        "volume_m3": round(d.m3, 2),
        "supplier": d.supplier,
        "humidity": d.humidity_pct,
        "out_of_contract": d.out_of_contract,
    }
    services.publish_action(ActionKind.CHIP_DELIVERY, context, "silo", details)
    return event


def record_ash(services: HmiServices, context: Context, kg: float | None) -> PlantEvent:
    """An emptied ash bin: the ash forecast restarts from zero."""
    values: dict[str, Scalar] = {"kg": kg}
    event = _publish(services, context, PlantEventKind.ASH_REMOVAL, values, "ash removal")
    services.publish_action(ActionKind.ASH_REMOVAL, context, "ash_bin", {"mass_kg": kg})
    return event


@dataclass(frozen=True, slots=True)
class WaterMakeup:
    litres: float
    before_bar: float | None
    after_bar: float | None


def water_makeup(litres: float, before_bar: float | None, after_bar: float | None) -> WaterMakeup:
    """Check a water make-up (litres added, network pressure before and after if read)."""
    added = _checked(Litres, litres, "appoint de", "make-up of", "L")
    before = (
        None if before_bar is None else _checked(Bar, before_bar, "pression avant", "pressure before", "bar")
    )
    after = None if after_bar is None else _checked(Bar, after_bar, "pression après", "pressure after", "bar")
    return WaterMakeup(added, before, after)


def record_water_makeup(services: HmiServices, context: Context, m: WaterMakeup) -> PlantEvent:
    values: dict[str, Scalar] = {"litres": m.litres, "before_bar": m.before_bar, "after_bar": m.after_bar}
    event = _publish(services, context, PlantEventKind.WATER_MAKEUP, values, f"water make-up {m.litres:g} L")
    services.publish_action(ActionKind.WATER_MAKEUP, context, "network", values)
    return event


@dataclass(frozen=True, slots=True)
class AirPurge:
    where: str


def air_purge(where: str) -> AirPurge:
    """Check an air purge: where it was made (a radiator, a high point, a substation...)."""
    place = where.strip()
    if not place or len(place) > PLACE_MAX_CHARS:
        raise ValueError(
            f"lieu de la purge requis ({PLACE_MAX_CHARS} caractères au plus)"
            f" / where the purge was made is required (at most {PLACE_MAX_CHARS} characters)"
        )
    return AirPurge(place)


def record_air_purge(services: HmiServices, context: Context, p: AirPurge) -> PlantEvent:
    values: dict[str, Scalar] = {"where": p.where}
    event = _publish(services, context, PlantEventKind.AIR_PURGE, values, f"air purge: {p.where}")
    services.publish_action(ActionKind.AIR_PURGE, context, "network", values)
    return event


def _publish(
    services: HmiServices, context: Context, kind: PlantEventKind, values: dict[str, Scalar], message: str
) -> PlantEvent:
    event = PlantEvent(
        kind, services.clock.now(), reason="logbook", message=message, values=values, context=context
    )
    services.bus.publish(event)
    return event
