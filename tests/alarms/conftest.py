"""Fixtures of the alarm tests: the Twilio stand-in and the SMTP server on loopback."""

from tests.support.smtp_server import smtp_server
from tests.support.twilio_standin import twilio_standin

__all__ = ["smtp_server", "twilio_standin"]
