"""Named scenarios: weather plus a timeline of faults, each documented in French and English.

=============  ==================================================================================
name           what happens (model time from the scenario's start)
=============  ==================================================================================
nominal        mid-winter day, mean 8 °C ± 4 K: the wood boiler modulates, buffer at setpoint
cold-snap      12 h at 4 °C, then 4 days around −6 °C (−7 at night): demand ≈ 128 kW exceeds the
               100 kW boiler, modulation ≥ 95 %, buffer falls below setpoint − 2.5 K (top-up)
wood-fault     nominal weather; at 1 h the flame is lost and every ignition fails (CHB-ALL, the
               boiler faults and cannot run); the cause is repaired and the fault reset at 7 h
screw-jam      at 1 h the transfer screw jams (VIS-BLQ): cut-off, the boiler is starved and
               faults; repaired and reset at 5 h
silo-empty     silo at 16 %: low-level switch within ~2 h, empty after ~1.5 days (SIL-VID,
               boiler starved); a delivery refills it at 44 h
pump-failure   at 1 h the duty pump fails (no flow until the supervisor selects the standby
               pump); repaired at 24 h
low-pressure   at 1 h the network starts leaking 1 bar/h: low-pressure switch about 1.5 h later
               (PRS-BAS); repaired and refilled at 6 h
supervisor-loss  a cold day (−5 °C): at 1 h the wood boiler fails (CHB-ALL) and a minute later
               the supervisor is gone for 6 h (the closed-loop replay stops running it: the
               hydraulic PLC's local program keeps the plant warm); wood repaired at 9 h
comm-loss      the boiler PLC stops answering from 1 h to 1 h 10 (COM-API), the hydraulic module
               from 2 h to 2 h 05 (COM-HYD), the heat meter reports Bad from 3 h to 3 h 30 (COM-CPT)
season         1 October – 31 May, a seeded typical season for Joucas (monthly means, daily swing,
               cold spells to −7 °C); chips delivered below 20 %, ash bin emptied when 90 % full
=============  ==================================================================================

May import: ``chaufferie.config`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chaufferie.config.settings import PlantConfig
from chaufferie.simulations.weather import HOUR, OutdoorProfile, Segment, typical_season

if TYPE_CHECKING:
    from chaufferie.simulations.plant import Plant

WINTER_START = datetime(2026, 1, 12, 0, 0, tzinfo=UTC)
NOMINAL_MEAN_C = 8.0
NOMINAL_SWING_K = 8.0


@dataclass(frozen=True)
class Scenario:
    """Weather, service policy and a timeline of ``(hours, action, argument)``."""

    name: str
    description_fr: str
    description_en: str
    outdoor: Callable[[PlantConfig], OutdoorProfile]
    events: tuple[tuple[float, str, str], ...] = ()
    duration_h: float = 48.0
    auto_service: bool = True

    def apply(self, plant: Plant) -> None:
        """Set the weather and schedule the timeline from the plant's current model time."""
        plant.outdoor = self.outdoor(plant.cfg)
        plant.t = 0.0
        plant.scenario_name = self.name
        plant.auto_service = self.auto_service
        plant.resettle()
        for hours, action, arg in self.events:
            plant.schedule(plant.t + hours * HOUR, action, arg)


def _nominal(cfg: PlantConfig) -> OutdoorProfile:
    return OutdoorProfile.constant(WINTER_START, NOMINAL_MEAN_C, NOMINAL_SWING_K)


COLD_DAY_C = -5.0


def _cold_day(cfg: PlantConfig) -> OutdoorProfile:
    return OutdoorProfile.constant(WINTER_START, COLD_DAY_C, 2.0)


def _cold_snap(cfg: PlantConfig) -> OutdoorProfile:
    design = cfg.plant.design_outdoor_c
    return OutdoorProfile(
        WINTER_START,
        segments=[
            Segment(0.0, 4.0, NOMINAL_SWING_K),
            Segment(12 * HOUR, design + 1.0, 2.0),
            Segment(108 * HOUR, 4.0, NOMINAL_SWING_K),
        ],
    )


def season_start(cfg: PlantConfig) -> datetime:
    month, day = (int(x) for x in cfg.simulation.season_start.split("-"))
    return datetime(2025 if month >= 7 else 2026, month, day, tzinfo=UTC)


def season_days(cfg: PlantConfig) -> int:
    start = season_start(cfg)
    month, day = (int(x) for x in cfg.simulation.season_end.split("-"))
    end = datetime(start.year + (1 if month < start.month else 0), month, day, tzinfo=UTC)
    return (end - start).days + 1


def _season(cfg: PlantConfig) -> OutdoorProfile:
    return typical_season(
        season_start(cfg), season_days(cfg), cfg.simulation.season_seed, cfg.plant.design_outdoor_c
    )


def _scenarios() -> dict[str, Scenario]:
    items = [
        Scenario(
            "nominal", "Journée d'hiver ordinaire, 8 °C ± 4 K", "Ordinary winter day, 8 °C ± 4 K", _nominal
        ),
        Scenario(
            "cold-snap",
            "Vague de froid : 4 jours vers −6 °C, appoint fioul nécessaire",
            "Cold snap: 4 days around −6 °C, oil top-up needed",
            _cold_snap,
            duration_h=120.0,
        ),
        Scenario(
            "wood-fault",
            "Échec d'allumage chaudière bois de 1 h à 7 h",
            "Wood boiler ignition failure from 1 h to 7 h",
            _nominal,
            ((1.0, "inject", "CHB-ALL"), (7.0, "clear", "CHB-ALL")),
            duration_h=12.0,
        ),
        Scenario(
            "screw-jam",
            "Vis de transfert bloquée de 1 h à 5 h",
            "Transfer screw jammed from 1 h to 5 h",
            _nominal,
            ((1.0, "inject", "VIS-BLQ"), (5.0, "clear", "VIS-BLQ")),
            duration_h=8.0,
        ),
        Scenario(
            "silo-empty",
            "Silo à 16 % : niveau bas puis silo vide, livraison à 44 h",
            "Silo at 16 %: low level then empty, delivery at 44 h",
            _nominal,
            ((0.0, "silo_fraction", "0.16"), (44.0, "clear", "SIL-VID")),
            duration_h=48.0,
            auto_service=False,
        ),
        Scenario(
            "pump-failure",
            "Panne de la pompe principale à 1 h, réparée à 24 h",
            "Duty pump fails at 1 h, repaired at 24 h",
            _nominal,
            ((1.0, "inject", "PMP-BAS"), (24.0, "clear", "PMP-BAS")),
            duration_h=26.0,
        ),
        Scenario(
            "low-pressure",
            "Fuite réseau à 1 h, réparée et remplie à 6 h",
            "Network leak at 1 h, repaired and refilled at 6 h",
            _nominal,
            ((1.0, "inject", "PRS-BAS"), (6.0, "clear", "PRS-BAS")),
            duration_h=8.0,
        ),
        Scenario(
            "supervisor-loss",
            "Supervision absente 6 h pendant une panne bois, jour froid : repli local des automates",
            "Supervisor absent for 6 h during a wood fault on a cold day: the PLCs' local fallback",
            _cold_day,
            (
                (1.0, "inject", "CHB-ALL"),
                (1.0 + 1 / 60, "supervisor_absent", ""),
                (7.0 + 1 / 60, "supervisor_back", ""),
                (9.0, "clear", "CHB-ALL"),
            ),
            duration_h=12.0,
        ),
        Scenario(
            "comm-loss",
            "Pertes de communication : automate, module hydraulique, compteur",
            "Communication losses: boiler PLC, hydraulic module, heat meter",
            _nominal,
            (
                (1.0, "inject", "COM-API"),
                (1.0 + 10 / 60, "clear", "COM-API"),
                (2.0, "inject", "COM-HYD"),
                (2.0 + 5 / 60, "clear", "COM-HYD"),
                (3.0, "inject", "COM-CPT"),
                (3.5, "clear", "COM-CPT"),
            ),
            duration_h=4.0,
        ),
        Scenario(
            "season",
            "Saison de chauffe 1er octobre – 31 mai, année type de Joucas",
            "Heating season 1 October – 31 May, typical year for Joucas",
            _season,
            duration_h=243 * 24.0,
        ),
    ]
    return {s.name: s for s in items}


SCENARIOS: dict[str, Scenario] = _scenarios()


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name`` (ValueError listing the known names otherwise)."""
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise ValueError(f"unknown scenario '{name}'; known: {', '.join(SCENARIOS)}")
    return scenario
