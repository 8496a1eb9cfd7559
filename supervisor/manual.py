"""Manual mode: who may force a mode, for how long, and the one audit record of the request.

A :class:`~chaufferie.config.vocabulary.ManualModeRequest` asks to force ``mode`` — one of
``stopped``, ``wood``, ``wood_with_topup``, ``oil_replacement`` — for ``duration_s`` (default and
maximum ``manual_mode_max_s``), or (``mode`` None) to release it. The role the publisher
authenticated must be at least ``technician``; a request stating no role must name its user.
The supervisor executes the request and writes its one audit record (:func:`audit`): an
``OperatorAction(MANUAL_MODE)`` accepted, or refused with ``details["reason"]``
(``not_authorised``, ``invalid_request``).

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from chaufferie.config.vocabulary import (
    ActionKind,
    ActionResult,
    Context,
    ManualModeRequest,
    OperatorAction,
    PlantMode,
    Role,
    SeasonRequest,
    new_id,
)
from chaufferie.supervisor.reasons import Reason

FORCEABLE = (PlantMode.STOPPED, PlantMode.WOOD, PlantMode.WOOD_WITH_TOPUP, PlantMode.OIL_REPLACEMENT)
RELEASE = "auto"
"""How the audit record names a release."""


@dataclass(frozen=True, slots=True)
class ManualRequest:
    """A valid request: ``forced`` None means release manual mode."""

    forced: PlantMode | None
    duration_s: float
    context: Context


def authorised(request: ManualModeRequest | SeasonRequest, minimum: Role) -> bool:
    """The stated role is at least ``minimum``; with no role stated, an identified user."""
    if request.role is None:
        return bool(request.context.user)
    return request.role.at_least(minimum)


def parse_manual(request: ManualModeRequest, max_s: float) -> ManualRequest | Reason:
    """What ``request`` asks, or why it is refused."""
    if not authorised(request, Role.TECHNICIAN):
        return Reason.NOT_AUTHORISED
    if request.mode is None:
        return ManualRequest(None, 0.0, request.context)
    if request.mode not in FORCEABLE:
        return Reason.INVALID_REQUEST
    duration = _duration(max_s if request.duration_s is None else request.duration_s)
    if duration is None:
        return Reason.INVALID_REQUEST
    return ManualRequest(request.mode, min(duration, max_s), request.context)


def _duration(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def audit(request: ManualModeRequest, outcome: ManualRequest | Reason) -> OperatorAction:
    """The one audit record of ``request``: what was granted, or why it was refused."""
    details: dict[str, Any] = {"mode": request.mode.value if request.mode else RELEASE}
    if request.role is not None:
        details["role"] = request.role.value
    if isinstance(outcome, Reason):
        details["reason"] = outcome.value
        if request.duration_s is not None:
            details["duration_s"] = request.duration_s
        result = ActionResult.REFUSED
    else:
        if outcome.forced is not None:
            details["duration_s"] = outcome.duration_s
        result = ActionResult.OK
    return OperatorAction(
        kind=ActionKind.MANUAL_MODE,
        time=request.time,
        context=request.context.child("supervisor"),
        target="supervisor",
        result=result,
        details=details,
        id=new_id(),
    )
