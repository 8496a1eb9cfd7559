"""The per-site signed token a site puts on every request to a central receiver."""

from __future__ import annotations

import pytest

from chaufferie.historian import central_protocol as proto
from chaufferie.historian.central_protocol import Refusal, SignatureError

BODY = b"<feed/>"
NOW = 1_780_000_000


def test_a_signature_by_the_sites_key_names_the_site() -> None:
    key = proto.new_private_key()
    public = proto.load_public_key(proto.public_pem(key.public_key()))
    headers = proto.signed_headers(key, "joucas", NOW, BODY)
    assert proto.verify(public, headers, BODY, NOW + proto.MAX_SKEW_S) == "joucas"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("body", Refusal.BAD_SIGNATURE),
        ("site", Refusal.BAD_SIGNATURE),
        ("other key", Refusal.BAD_SIGNATURE),
        ("late", Refusal.STALE),
        ("early", Refusal.STALE),
        ("no signature", Refusal.BAD_SIGNATURE),
    ],
)
def test_a_changed_request_is_refused_with_its_reason(change: str, reason: Refusal) -> None:
    key = proto.new_private_key()
    public = key.public_key()
    signer = proto.new_private_key() if change == "other key" else key
    headers = proto.signed_headers(signer, "joucas", NOW, BODY)
    body, now = BODY, NOW
    if change == "body":
        body = b"<feed> </feed>"
    elif change == "site":
        headers[proto.SITE_HEADER] = "kerlann"
    elif change == "late":
        now = NOW + proto.MAX_SKEW_S + 1
    elif change == "early":
        now = NOW - proto.MAX_SKEW_S - 1
    elif change == "no signature":
        del headers[proto.SIGNATURE_HEADER]
    with pytest.raises(SignatureError) as caught:
        proto.verify(public, headers, body, now)
    assert caught.value.reason is reason


def test_the_private_key_comes_from_the_environment_and_a_bad_one_says_which_variable() -> None:
    key = proto.new_private_key()
    loaded = proto.load_private_key({proto.SITE_KEY_ENV: proto.private_pem(key)})
    assert proto.public_pem(loaded.public_key()) == proto.public_pem(key.public_key())
    for environ in ({}, {proto.SITE_KEY_ENV: "not a key"}):
        with pytest.raises(ValueError, match=proto.SITE_KEY_ENV):
            proto.load_private_key(environ)
