"""Operator requests the supervisor obeys: manual mode and on-demand screw tests.

An ``OperatorAction(kind=MANUAL_MODE, details={"mode": M, "duration_s": D, "role": R})``
with ``result=OK`` asks to force mode ``M`` — one of ``stopped``, ``wood``,
``wood_with_topup``, ``oil_replacement`` (or ``force_<mode>``) — for ``D`` seconds (default and
maximum ``manual_mode_max_s``), or with ``M`` = ``auto`` / ``release`` to release it. When the
publisher states the user's role in ``details["role"]`` it must be at least ``technician``;
without it the action must name its user (the HMI authorises before publishing).

An ``OperatorAction(kind=COMMAND, target=io.screw_reverse_test)`` asks for a reverse-rotation
test (the supervisor pulses the point); when it is the audit of the operator's own write
(``details["command_id"]``, as the HMI sends it) the supervisor only follows that test.

A refused request is answered on the bus by an ``OperatorAction`` copy with
``result=REFUSED`` and ``details["reason"]`` (``not_authorised`` or ``invalid_request``), so
the audit log shows it.

Imports: the ground floor and the supervisor's small modules.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from chaufferie.config.vocabulary import ActionResult, Context, OperatorAction, PlantMode, Role, new_id
from chaufferie.supervisor.reasons import Reason

FORCEABLE = (PlantMode.STOPPED, PlantMode.WOOD, PlantMode.WOOD_WITH_TOPUP, PlantMode.OIL_REPLACEMENT)
RELEASE = "auto"
ALIASES = {"release": RELEASE}
"""Other spellings accepted for ``mode``; ``force_<mode>`` means ``<mode>`` (the HMI's words)."""


@dataclass(frozen=True, slots=True)
class ManualRequest:
    """A valid request: ``forced`` None means release manual mode."""

    forced: PlantMode | None
    duration_s: float
    context: Context


def role_of(action: OperatorAction) -> Role | None:
    try:
        return Role(str(action.details.get("role", "")))
    except ValueError:
        return None


def authorised(action: OperatorAction, minimum: Role) -> bool:
    """The stated role is at least ``minimum``; with no role stated, an identified user.

    The publisher authenticates and authorises (the HMI lets only a technician send these); when
    it states the role the supervisor checks it again. An action with neither a role nor a user
    is refused.
    """
    if "role" not in action.details:
        return bool(action.context.user)
    role = role_of(action)
    return role is not None and role.at_least(minimum)


def parse_manual(action: OperatorAction, max_s: float) -> ManualRequest | Reason:
    """The request in ``action``, or why it is refused."""
    if not authorised(action, Role.TECHNICIAN):
        return Reason.NOT_AUTHORISED
    mode = str(action.details.get("mode", RELEASE))
    mode = ALIASES.get(mode, mode.removeprefix("force_"))
    if mode == RELEASE:
        return ManualRequest(None, 0.0, action.context)
    if mode not in {m.value for m in FORCEABLE}:
        return Reason.INVALID_REQUEST
    duration = _duration(action.details.get("duration_s", max_s))
    if duration is None:
        return Reason.INVALID_REQUEST
    return ManualRequest(PlantMode(mode), min(duration, max_s), action.context)


def _duration(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def refusal(action: OperatorAction, reason: Reason) -> OperatorAction:
    """The audit record of a refused request."""
    return dataclasses.replace(
        action,
        result=ActionResult.REFUSED,
        context=action.context.child("supervisor"),
        details={**action.details, "reason": reason.value},
        id=new_id(),
    )
