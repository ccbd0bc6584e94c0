"""No secret reaches the audit trail (gateway/services/redaction.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.services.redaction import (
    HIDDEN,
    MAX_PARAMETERS_BYTES,
    request_parameters,
    response_elements,
    secret_name,
)

SECRET_ARGUMENTS = [
    "password",
    "newPassword",
    "oldPassword",
    "secretAccessKey",
    "sessionToken",
    "tokenCode",
    "authenticationCode1",
    "authenticationCode2",
    "code",
    "challenge",
    "base32StringSeed",
    "otpauthUri",
    "qrCodePng",
]


def test_every_secret_argument_of_the_api_is_recognised_by_its_name() -> None:
    assert [name for name in SECRET_ARGUMENTS if not secret_name(name)] == []
    assert not any(secret_name(n) for n in ("userName", "policyArn", "roleSessionName", "path"))


def test_secret_values_are_hidden_as_cloudtrail_hides_them_and_the_rest_kept() -> None:
    recorded = request_parameters(
        {"userName": "jorge", "password": "Flat-White-99", "passwordResetRequired": True}
    )
    assert recorded == {"userName": "jorge", "password": HIDDEN, "passwordResetRequired": True}


@given(
    name=st.sampled_from(SECRET_ARGUMENTS),
    secret=st.text(min_size=1, max_size=64),
    nesting=st.sampled_from(["flat", "object", "list"]),
)
def test_no_secret_survives_whatever_it_is_and_wherever_it_is_nested(
    name: str, secret: str, nesting: str
) -> None:
    arguments: dict[str, object] = {name: secret}
    if nesting == "object":
        arguments = {"input": {name: secret, "userName": "alice"}}
    elif nesting == "list":
        arguments = {"items": [{name: secret}]}
    recorded = request_parameters(arguments)
    assert recorded is not None
    # Every value kept is either the marker or what the test put there besides the secret
    # (comparing leaves, not the JSON text: a secret such as "," is in any JSON text).
    assert set(_leaves(recorded)) <= {HIDDEN, "alice"}


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@given(st.sampled_from(["gws_", "gwc_", "GWS_"]), st.text(min_size=8, max_size=40))
def test_a_gateway_credential_is_hidden_under_any_argument_name(prefix: str, rest: str) -> None:
    token = prefix + rest
    assert request_parameters({"description": token}) == {"description": HIDDEN}


def test_nul_is_kept_as_text_so_postgresql_can_store_it() -> None:
    assert request_parameters({"userName": "a\x00b"}) == {"userName": "a\\u0000b"}


def test_parameters_larger_than_cloudtrails_limit_are_left_out() -> None:
    assert request_parameters({"policyDocument": "x" * (MAX_PARAMETERS_BYTES + 1)}) is None
    assert request_parameters({}) is None


def test_response_elements_keep_ids_and_arns_only() -> None:
    elements = {
        "credentials": {
            "accessKeyId": "ASIAEXAMPLE",
            "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sessionToken": "gws_abc",
        },
        "assumedRoleUser": {"assumedRoleId": "AROA:s", "arn": "arn:aws:sts::1:assumed-role/R/s"},
        "note": "anything else",
    }
    assert response_elements(elements) == {
        "credentials": {"accessKeyId": "ASIAEXAMPLE"},
        "assumedRoleUser": {"assumedRoleId": "AROA:s", "arn": "arn:aws:sts::1:assumed-role/R/s"},
    }
