"""Fuzzing the SMS webhook over HTTP: random forms, signed with the Twilio token or not, from
known and unknown numbers, and random bodies. The answer is 2xx or 4xx, never 5xx, and no
alarm is acknowledged: the one valid code is only ever sent unsigned or with a bad signature."""

from __future__ import annotations

import string

import httpx
from hypothesis import event, given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from chaufferie.config.vocabulary import AlarmState
from tests.access.conftest import Site
from tests.fuzz.support import FUZZ_HTTP

PHONES = ["+33612345678", "+33623456789", "+33645678901", "+33699999999", "", " +33612345678 "]
RIGHT = "<right code>"
TEXT = st.text(max_size=40)
BODY = st.one_of(
    TEXT,
    st.builds(
        lambda w, d: f"{w} {d}",
        st.sampled_from(["OK", "ok", "ACK", "VU", "Vu:", "OK#"]),
        st.text(string.digits, max_size=9),
    ),
    st.just(RIGHT),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes | None, str]:
    """(signing: "good" / "none" / "bad", form fields, raw body or None, content type)."""
    signing = draw(st.sampled_from(["good", "none", "bad"]))
    form = {
        "From": draw(st.one_of(st.sampled_from(PHONES), TEXT)),
        "To": "+33700000000",
        "Body": draw(BODY),
    }
    sid = draw(
        st.one_of(st.none(), st.text(string.hexdigits, min_size=1, max_size=34).map(lambda h: "SM" + h), TEXT)
    )
    if sid is not None:
        form["MessageSid"] = sid
    form.update(
        draw(st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=10), TEXT, max_size=3))
    )
    if draw(st.integers(0, 9)) == 0:  # now and then, not a form at all
        raw = draw(st.binary(max_size=200))
        kind = draw(
            st.sampled_from(
                ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/plain"]
            )
        )
        return signing, form, raw, kind
    return signing, form, None, "application/x-www-form-urlencoded"


@FUZZ_HTTP
@given(requests())
async def test_random_sms_requests_get_2xx_or_4xx_and_acknowledge_nothing(
    site: Site, request: tuple[str, dict[str, str], bytes | None, str]
) -> None:
    signing, form, raw, kind = request
    occ = next((o for o in site.engine.occurrences.values() if o.code == "CHB-DEF" and o.active), None)
    occ_id = occ.id if occ is not None else site.raise_alarm("CHB-DEF", ("tech-martin", "tech-bernard"))
    if form["Body"] == RIGHT:
        if signing == "good":
            signing = "bad"  # the right code is never sent with a valid signature
        form["Body"] = f"OK {site.code(occ_id)}"
    url = f"{site.base_url}/sms/inbound"
    token = site.twilio.auth_token if signing == "good" else "not-the-token"
    headers = {"Content-Type": kind}
    if signing != "none":
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, form)
    async with httpx.AsyncClient(timeout=10) as client:
        if raw is None:
            answer = await client.post(url, data=form, headers=headers)
        else:
            answer = await client.post(url, content=raw, headers=headers)
    event(f"{signing} signature, HTTP {answer.status_code}")  # --hypothesis-show-statistics
    assert 200 <= answer.status_code < 500, (answer.status_code, answer.text[:200])
    assert "Traceback" not in answer.text
    assert site.state(occ_id) is AlarmState.UNACKED
