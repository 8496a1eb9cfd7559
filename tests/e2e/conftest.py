"""The whole system as separate processes, with the SMS and email stand-ins (tests.e2e.system)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.system import SystemUnderTest, base_env, write_config
from tests.support.smtp_server import PASSWORD, PASSWORD_ENV, USER_ENV, USERNAME, SmtpTestServer
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn


@pytest.fixture
async def plant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[SystemUnderTest, TwilioStandIn, SmtpTestServer]]:
    smtp = SmtpTestServer(tmp_path)
    smtp.start()
    async with TwilioStandIn() as twilio:
        email = smtp.settings().model_dump(mode="json")
        sms = {"from_number": "+33700000000", "api_base_url": twilio.base_url}
        config_path, ports = write_config(tmp_path / "data", sms, email)
        env = base_env(
            {
                "CHAUFFERIE_SECRET_KEY": "e2e-signing-key-0123456789abcdef",
                "CHAUFFERIE_OPCUA_USER": "e2e",
                "CHAUFFERIE_OPCUA_PASSWORD": "e2e-opcua-password",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                USER_ENV: USERNAME,
                PASSWORD_ENV: PASSWORD,
            }
        )
        for name in ("CHAUFFERIE_OPCUA_USER", "CHAUFFERIE_OPCUA_PASSWORD"):  # the test's own OPC UA client
            monkeypatch.setenv(name, env[name])
        system = SystemUnderTest(tmp_path, config_path, ports, env)
        try:
            yield system, twilio, smtp
        finally:
            system.close()
            smtp.stop()
