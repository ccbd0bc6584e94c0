"""Server-side SigV4 verification (`gateway.auth.sigv4`), against AWS's documented example and
against botocore's signer, which nobody here wrote."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.auth import sigv4
from gateway.errors import IncompleteSignature, RequestExpired, SignatureDoesNotMatch

# AWS's worked example ("Examples of the complete Signature Version 4 signing process", AWS
# General Reference): GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08.
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EXAMPLE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
EXAMPLE_HEADER = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, "
    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
)
EXAMPLE = sigv4.HttpRequest(
    method="GET",
    path="/",
    query="Action=ListUsers&Version=2010-05-08",
    headers=[
        ("host", "iam.amazonaws.com"),
        ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("x-amz-date", "20150830T123600Z"),
    ],
    body=b"",
)
NOW = datetime(2026, 12, 4, 10, 15, tzinfo=UTC)
SECRET = "a-secret-of-forty-characters-0123456789a"


def test_awss_documented_example_gives_its_canonical_request_key_and_signature() -> None:
    claim = sigv4.parse(EXAMPLE, EXAMPLE_HEADER, now=EXAMPLE_TIME, services={"iam"})

    canonical = sigv4.canonical_request(EXAMPLE, claim.signed_headers)
    key = sigv4.signing_key(EXAMPLE_SECRET, "20150830", "us-east-1", "iam")

    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    )
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    sigv4.verify(claim, EXAMPLE, EXAMPLE_SECRET)
    with pytest.raises(SignatureDoesNotMatch):
        sigv4.verify(claim, EXAMPLE, EXAMPLE_SECRET[:-1] + "X")


def botocore_signed(
    *,
    method: str = "POST",
    path: str = "/graphql",
    query: str = "",
    body: bytes = b'{"query": "{ whoAmI { arn } }"}',
    service: str = "gateway",
    key_id: str = "AKIAEXAMPLEEXAMPLE01",
    secret: str = SECRET,
    token: str | None = None,
    extra: dict[str, str] | None = None,
    at: datetime = NOW,
) -> tuple[sigv4.HttpRequest, str]:
    """A request signed by botocore at `at`, as the gateway would receive it, and its header."""
    url = f"http://127.0.0.1:8000{path}" + (f"?{query}" if query else "")
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={"Content-Type": "application/json", **(extra or {})},
    )
    signer = SigV4Auth(Credentials(key_id, secret, token), service, "eu-west-3")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("botocore.auth.get_current_datetime", lambda: at.replace(tzinfo=None))
        signer.add_auth(request)
    headers = [("host", "127.0.0.1:8000")] + [
        (name.lower(), value) for name, value in request.headers.items()
    ]
    received = sigv4.HttpRequest(method, path, query, headers, body)
    return received, request.headers["Authorization"]


def test_a_botocore_signature_verifies_and_names_key_scope_and_token() -> None:
    request, header = botocore_signed(token="gws_token")

    claim = sigv4.parse(request, header, now=NOW, services={"gateway"})
    sigv4.verify(claim, request, SECRET)

    assert (claim.access_key_id, claim.region, claim.service) == (
        "AKIAEXAMPLEEXAMPLE01",
        "eu-west-3",
        "gateway",
    )
    assert claim.security_token == "gws_token"
    assert "x-amz-security-token" in claim.signed_headers


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=300),
    segments=st.lists(st.text(min_size=1, max_size=8), max_size=3),
    params=st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=4),
    flip=st.integers(min_value=0),
)
def test_any_request_botocore_signs_verifies_and_any_changed_body_byte_does_not(
    body: bytes, segments: list[str], params: list[tuple[str, str]], flip: int
) -> None:
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
    request, header = botocore_signed(path=path, query=query, body=body)
    claim = sigv4.parse(request, header, now=NOW, services={"gateway"})

    sigv4.verify(claim, request, SECRET)

    altered = bytearray(body or b"x")
    altered[flip % len(altered)] ^= 0x01
    tampered = sigv4.HttpRequest(request.method, path, query, request.headers, bytes(altered))
    with pytest.raises(SignatureDoesNotMatch):
        sigv4.verify(claim, tampered, SECRET)


def test_a_changed_path_query_or_signed_header_does_not_verify() -> None:
    request, header = botocore_signed(query="a=1", extra={"X-Custom": "one"})
    claim = sigv4.parse(request, header, now=NOW, services={"gateway"})
    changes = [
        sigv4.HttpRequest("POST", "/graphql2", "a=1", request.headers, request.body),
        sigv4.HttpRequest("POST", "/graphql", "a=2", request.headers, request.body),
        sigv4.HttpRequest("PUT", "/graphql", "a=1", request.headers, request.body),
        sigv4.HttpRequest(
            "POST",
            "/graphql",
            "a=1",
            [(n, "two" if n == "x-custom" else v) for n, v in request.headers],
            request.body,
        ),
    ]
    for changed in changes:
        with pytest.raises(SignatureDoesNotMatch):
            sigv4.verify(claim, changed, SECRET)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(minutes=-5), True),
        (timedelta(minutes=5), True),
        (timedelta(minutes=-5, seconds=-1), False),
        (timedelta(minutes=5, seconds=1), False),
    ],
)
def test_requests_signed_more_than_five_minutes_away_are_expired(
    offset: timedelta, accepted: bool
) -> None:
    request, header = botocore_signed(at=NOW + offset)
    if accepted:
        sigv4.parse(request, header, now=NOW, services={"gateway"})
        return
    with pytest.raises(RequestExpired) as refused:
        sigv4.parse(request, header, now=NOW, services={"gateway"})
    signed_at = (NOW + offset).strftime("%Y%m%dT%H%M%SZ")
    if offset < timedelta(0):
        assert refused.value.message == (
            f"Signature expired: {signed_at} is now earlier than 20261204T101000Z "
            "(20261204T101500Z - 5 min.)"
        )
    else:
        assert refused.value.message == (
            f"Signature not yet current: {signed_at} is still later than 20261204T102000Z "
            "(20261204T101500Z + 5 min.)"
        )


def test_a_header_missing_its_parts_is_incomplete_in_awss_words() -> None:
    request, _ = botocore_signed()
    header = (
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE01/20261204/eu-west-3/gateway/aws4_request"
    )

    with pytest.raises(IncompleteSignature) as refused:
        sigv4.parse(request, header, now=NOW, services={"gateway"})

    assert refused.value.message == (
        "Authorization header requires 'Signature' parameter. Authorization header requires "
        f"'SignedHeaders' parameter. Authorization={header}"
    )


def test_a_request_without_a_date_is_incomplete() -> None:
    request, header = botocore_signed()
    undated = sigv4.HttpRequest(
        "POST", "/graphql", "", [(n, v) for n, v in request.headers if n != "x-amz-date"], b""
    )
    with pytest.raises(IncompleteSignature, match="either a 'X-Amz-Date' or a 'Date' header"):
        sigv4.parse(undated, header, now=NOW, services={"gateway"})


def test_a_pair_without_an_equal_sign_is_incomplete() -> None:
    request, header = botocore_signed()
    broken = header.replace("Signature=", "Signature ")
    with pytest.raises(IncompleteSignature, match="not a valid key=value pair"):
        sigv4.parse(request, broken, now=NOW, services={"gateway"})


def test_a_scope_for_another_service_is_refused_naming_the_right_one() -> None:
    request, header = botocore_signed(service="iam")
    with pytest.raises(SignatureDoesNotMatch) as refused:
        sigv4.parse(request, header, now=NOW, services={"gateway"})
    assert refused.value.message == "Credential should be scoped to correct service: 'gateway'."


def test_a_scope_dated_another_day_is_refused() -> None:
    request, header = botocore_signed()
    other_day = header.replace("/20261204/", "/20261203/")
    with pytest.raises(SignatureDoesNotMatch, match="'20261203' != '20261204'"):
        sigv4.parse(request, other_day, now=NOW, services={"gateway"})


def test_host_must_be_signed_and_signed_headers_must_be_present() -> None:
    request, header = botocore_signed()
    without_host = sigv4.HttpRequest(
        "POST", "/graphql", "", [(n, v) for n, v in request.headers if n != "host"], b""
    )
    with pytest.raises(IncompleteSignature, match="'host' is named as a SignedHeader"):
        sigv4.parse(without_host, header, now=NOW, services={"gateway"})
    unsigned_host = header.replace(
        "SignedHeaders=content-type;host;", "SignedHeaders=content-type;"
    )
    with pytest.raises(
        IncompleteSignature, match="'Host' or ':authority' must be a 'SignedHeader'"
    ):
        sigv4.parse(request, unsigned_host, now=NOW, services={"gateway"})


def test_the_canonical_uri_removes_dot_segments_and_encodes_once_more() -> None:
    assert sigv4.canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.canonical_uri("/a%20b") == "/a%2520b"


def test_the_canonical_query_is_sorted_and_encoded_the_rfc_3986_way() -> None:
    assert sigv4.canonical_query("b=2&a=x%20y&a=1&c") == "a=1&a=x%20y&b=2&c="
