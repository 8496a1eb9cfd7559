"""Remote acknowledgement and access control: users, roles, sessions, links, SMS replies, audit.

Owns the web endpoints a technician reaches from a phone (``/a/<token>`` ack links, the
``/sms/inbound`` Twilio webhook), password and PIN checks with lockout, signed session
cookies with CSRF tokens, security headers, the audit trail of those actions (published on
the bus as :class:`~chaufferie.config.vocabulary.OperatorAction`) and interventions opened
by acknowledgements. May import every layer below (config, alarms, historian); the alarms
service, the PLC bridge and the SMS sender reach it through the Protocols in :mod:`.ports`.

Entry points: :func:`build_access_router` (a FastAPI ``APIRouter`` to include in the NiceGUI
app), :class:`AccessServices` (what the router needs), :class:`UserService` (users, first
admin from ``CHAUFFERIE_ADMIN_USER`` / ``CHAUFFERIE_ADMIN_PASSWORD``).
"""

from chaufferie.hmi.access.services import AccessServices
from chaufferie.hmi.access.users import UserService
from chaufferie.hmi.access.web import build_access_router, security_headers

__all__ = ["AccessServices", "UserService", "build_access_router", "security_headers"]
