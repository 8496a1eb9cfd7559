"""The shared provider stand-ins behave like the real services for the official clients."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from tests.support.smtp_server import PASSWORD, USERNAME, SmtpTestServer
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn


def _client(standin: TwilioStandIn, token: str = AUTH_TOKEN) -> Client:
    client = Client(ACCOUNT_SID, token, http_client=AsyncTwilioHttpClient())
    client.api.base_url = standin.base_url
    return client


async def test_official_twilio_client_sends_through_standin(twilio_standin: TwilioStandIn) -> None:
    client = _client(twilio_standin)
    try:
        msg = await client.messages.create_async(to="+33612345678", from_="+33700000000", body="relève")
        listed = await client.messages.list_async(to="+33612345678")
    finally:
        await client.http_client.close()
    assert msg.sid.startswith("SM")
    assert twilio_standin.bodies_to("+33612345678") == ["relève"]
    assert [m.sid for m in listed] == [msg.sid]


async def test_standin_refuses_wrong_token_and_fails_on_demand(twilio_standin: TwilioStandIn) -> None:
    bad = _client(twilio_standin, token="wrong")
    good = _client(twilio_standin)
    try:
        with pytest.raises(TwilioRestException) as denied:
            await bad.messages.create_async(to="+33612345678", from_="+33700000000", body="x")
        twilio_standin.fail_next(1)
        with pytest.raises(TwilioRestException) as failed:
            await good.messages.create_async(to="+33612345678", from_="+33700000000", body="x")
        await good.messages.create_async(to="+33612345678", from_="+33700000000", body="y")
    finally:
        await bad.http_client.close()
        await good.http_client.close()
    assert denied.value.status == 401
    assert failed.value.status == 500
    assert twilio_standin.bodies_to("+33612345678") == ["y"]


async def test_smtp_server_requires_starttls_and_auth(smtp_server: SmtpTestServer) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "test"
    message.set_content("chaudière fioul en relève")
    tls = ssl.create_default_context(cafile=str(smtp_server.cert_file))
    common = {"hostname": "127.0.0.1", "port": smtp_server.port, "tls_context": tls, "timeout": 5}
    with pytest.raises(aiosmtplib.SMTPException):
        await aiosmtplib.send(message, **common, start_tls=False)
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await aiosmtplib.send(message, **common, start_tls=True, username=USERNAME, password="nope")
    await aiosmtplib.send(message, **common, start_tls=True, username=USERNAME, password=PASSWORD)
    assert smtp_server.texts_to("b@example.org") == ["chaudière fioul en relève\n"]


async def test_smtp_server_can_go_down_and_come_back(smtp_server: SmtpTestServer) -> None:
    smtp_server.stop()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "t"
    message.set_content("x")
    tls = ssl.create_default_context(cafile=str(smtp_server.cert_file))
    kwargs = {
        "hostname": "127.0.0.1",
        "port": smtp_server.port,
        "tls_context": tls,
        "timeout": 5,
        "start_tls": True,
        "username": USERNAME,
        "password": PASSWORD,
    }
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await aiosmtplib.send(message, **kwargs)
    smtp_server.start()
    await aiosmtplib.send(message, **kwargs)
    assert len(smtp_server.messages) == 1
