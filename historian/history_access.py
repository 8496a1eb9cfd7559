"""What each role may read of the event history and export: the one rule, as a table.

The history page's listing, its CSV export and its XML export all ask :func:`withheld_for`
what to leave out for the role of the user who asked, so the three never disagree:

- the security part of the audit log (logins, logouts, failed logins, refused links or
  pages, user changes) is for the administrator only;
- personal data kept with records — the client address of every action, the phone number
  or e-mail address a notification went to — is shown from the role named in
  :data:`FIELD_MIN_ROLE` upwards.

Everything else (plant events, alarms, operational actions such as acknowledgements,
notifications' status, PLC links, commands, logbook) every role may read. The rule is
written out for users in ``docs/access-security.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaufferie.config.vocabulary import ActionKind, Role

SECURITY_ACTIONS = frozenset(
    {
        ActionKind.LOGIN,
        ActionKind.LOGIN_FAILED,
        ActionKind.LOGOUT,
        ActionKind.LINK_REFUSED,
        ActionKind.USER_CHANGED,
    }
)
"""Audit entries about access and accounts (who logged in from where, who was refused)."""

SECURITY_MIN_ROLE = Role.ADMIN
"""Who may read and export :data:`SECURITY_ACTIONS`."""

FIELD_MIN_ROLE: dict[str, Role] = {
    "address": Role.ADMIN,
    "recipient": Role.TECHNICIAN,
}
"""Personal data in record columns, and the lowest role that may read each one."""


@dataclass(frozen=True, slots=True)
class Withheld:
    """What a role's view of the history leaves out."""

    role: Role
    action_kinds: frozenset[str]
    fields: frozenset[str]


def withheld_for(role: Role) -> Withheld:
    """What ``role`` may not read of the history (listing and exports alike)."""
    kinds = frozenset() if role.at_least(SECURITY_MIN_ROLE) else frozenset(k.value for k in SECURITY_ACTIONS)
    fields = frozenset(name for name, needed in FIELD_MIN_ROLE.items() if not role.at_least(needed))
    return Withheld(role, kinds, fields)
