"""Credentials on `/graphql` (gateway/auth/credentials.py through the view): SigV4 signed by
botocore, the schemes table, and the 401 for a header that is present but unusable."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.context import TortoiseContext

from gateway import clock
from gateway.app import create_app
from gateway.auth.credentials import KEY_HEADER_OFF, NOT_UNDERSTOOD
from gateway.config import Settings
from gateway.models import AccessKey, Account
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.signin import SIGN_IN_FAILED
from tests.api import Api, sign_in_root
from tests.helpers import TEST_SECRET_KEY
from tests.signing import Key, Signer

WHO = "{ whoAmI { arn principalType } }"
INVALID = "The security token included in the request is invalid."
SIGNED_ONLY = "Bearer, AWS4-HMAC-SHA256"


async def ok(api: Api, query: str, variables: dict[str, Any] | None = None, **auth: Any) -> Any:
    result = await api(query, variables, **auth)
    assert result.errors == [], result.errors
    return result.data


async def user_key(api: Api, token: str, name: str) -> Key:
    """A new user with IAMReadOnlyAccess and an access key made through the API."""
    await ok(
        api,
        "mutation($u: String!) { createUser(input: {userName: $u}) { arn }"
        ' attachUserPolicy(userName: $u, policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess")'
        " { userName } }",
        {"u": name},
        token=token,
    )
    data = await ok(
        api,
        "mutation($u: String!) { createAccessKey(userName: $u) { accessKeyId secretAccessKey } }",
        {"u": name},
        token=token,
    )
    created = data["createAccessKey"]
    return Key(created["accessKeyId"], created["secretAccessKey"])


@pytest.fixture
async def root_token(local_api: Api, account: Account) -> str:
    return await sign_in_root(local_api)


async def test_a_key_signs_graphql_with_sigv4_and_its_secret_never_travels(
    local_api: Api, root_token: str, account: Account
) -> None:
    key = await user_key(local_api, root_token, "script")

    result = await local_api(WHO, auth=Signer(key))

    assert result.errors == []
    assert result.data == {
        "whoAmI": {"arn": f"arn:aws:iam::{account.id}:user/script", "principalType": "User"}
    }
    keys = await ok(
        local_api,
        '{ accessKeys(userName: "script") { lastUsed { serviceName } } }',
        token=root_token,
    )
    assert keys["accessKeys"] == [{"lastUsed": {"serviceName": "gateway"}}]


async def test_an_altered_body_a_wrong_secret_and_an_unknown_key_are_refused_with_401(
    local_api: Api, root_token: str
) -> None:
    key = await user_key(local_api, root_token, "script")
    signer = Signer(key)
    request = local_api.client.build_request(
        "POST", "/graphql", json={"query": WHO}, headers={"Content-Type": "application/json"}
    )
    signed = next(signer.auth_flow(request))
    altered = local_api.client.build_request(
        "POST",
        "/graphql",
        content=b'{"query": "{ users { nodes { userName } } }"}',
        headers={name: signed.headers[name] for name in ("authorization", "x-amz-date")},
    )
    altered.headers["content-type"] = "application/json"

    tampered = await local_api.client.send(altered)
    wrong = await local_api(WHO, auth=Signer(Key(key.access_key_id, "x" * 40)))
    unknown = await local_api(WHO, auth=Signer(Key("AKIA" + "Z" * 16, key.secret_access_key)))

    assert tampered.status_code == 401
    assert tampered.json()["errors"][0]["extensions"]["code"] == "SignatureDoesNotMatch"
    assert tampered.headers["www-authenticate"] == "Bearer, AWS4-HMAC-SHA256, GatewayKey"
    assert (wrong.status, wrong.error_codes()) == (401, ["SignatureDoesNotMatch"])
    assert (unknown.status, unknown.error_codes()) == (401, ["InvalidClientTokenId"])
    assert unknown.only_error()["message"] == INVALID
    assert "data" not in tampered.json()


async def test_a_signature_for_another_service_or_too_old_is_refused(
    local_api: Api, root_token: str
) -> None:
    key = await user_key(local_api, root_token, "script")

    for_iam = await local_api(WHO, auth=Signer(key, service="iam"))
    later = clock.FrozenClock(clock.SystemClock().now() + timedelta(minutes=6))
    with clock.using(later):
        stale = await local_api(WHO, auth=Signer(key))

    assert for_iam.error_codes() == ["SignatureDoesNotMatch"]
    assert for_iam.only_error()["message"] == (
        "Credential should be scoped to correct service: 'gateway'."
    )
    assert (stale.status, stale.error_codes()) == (401, ["RequestExpired"])
    assert stale.only_error()["message"].startswith("Signature expired: ")


async def test_an_inactive_key_and_a_key_made_before_sealing_cannot_sign(
    local_api: Api, root_token: str
) -> None:
    old = await user_key(local_api, root_token, "old-script")
    await AccessKey.filter(id=old.access_key_id).update(secret_sealed=None)  # as migrated
    inactive = await user_key(local_api, root_token, "idle-script")
    await ok(
        local_api,
        'mutation($k: String!) { updateAccessKey(userName: "idle-script", accessKeyId: $k,'
        " status: INACTIVE) { status } }",
        {"k": inactive.access_key_id},
        token=root_token,
    )

    unsealed = await local_api(WHO, auth=Signer(old))
    idle = await local_api(WHO, auth=Signer(inactive))
    by_header = await local_api(WHO, key=(old.access_key_id, old.secret_access_key))

    assert unsealed.error_codes() == ["InvalidClientTokenId"]
    assert unsealed.only_error()["message"] == (
        f"The access key {old.access_key_id} was created before this gateway could verify "
        "signatures, so it cannot sign requests: create a new access key (createAccessKey, "
        "or aws iam create-access-key), use it, and delete this one."
    )
    assert idle.error_codes() == ["InvalidClientTokenId"]
    assert by_header.errors == []  # the hash still checks the GatewayKey header


async def test_temporary_credentials_sign_with_their_session_token(
    local_api: Api, root_token: str, account: Account
) -> None:
    key = await user_key(local_api, root_token, "script")
    data = await ok(
        local_api,
        "mutation { getSessionToken(durationSeconds: 900) {"
        " accessKeyId secretAccessKey sessionToken } }",
        auth=Signer(key),
    )
    issued = data["getSessionToken"]
    temporary = Key(issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])

    signed = await local_api(WHO, auth=Signer(temporary))
    no_token = await local_api(
        WHO, auth=Signer(Key(temporary.access_key_id, issued["secretAccessKey"]))
    )
    wrong_token = await local_api(
        WHO, auth=Signer(Key(temporary.access_key_id, issued["secretAccessKey"], "gws_other"))
    )
    long_term_with_token = await local_api(
        WHO, auth=Signer(Key(key.access_key_id, key.secret_access_key, issued["sessionToken"]))
    )

    assert signed.data == {
        "whoAmI": {"arn": f"arn:aws:iam::{account.id}:user/script", "principalType": "User"}
    }
    for refused in (no_token, wrong_token, long_term_with_token):
        assert refused.error_codes() == ["InvalidClientTokenId"]


async def test_assumed_role_credentials_sign_as_the_role(
    local_api: Api, root_token: str, account: Account
) -> None:
    key = await user_key(local_api, root_token, "alice")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account.id}:user/alice"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    await ok(
        local_api,
        'mutation($t: String!) { createRole(input: {roleName: "Till",'
        " assumeRolePolicyDocument: $t}) { arn } }",
        {"t": trust},
        token=root_token,
    )
    data = await ok(
        local_api,
        'mutation($a: String!) { assumeRole(roleArn: $a, roleSessionName: "till-1") {'
        " credentials { accessKeyId secretAccessKey sessionToken } } }",
        {"a": f"arn:aws:iam::{account.id}:role/Till"},
        auth=Signer(key),
    )
    issued = data["assumeRole"]["credentials"]

    who = await local_api(
        WHO,
        auth=Signer(Key(issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])),
    )

    assert who.data == {
        "whoAmI": {
            "arn": f"arn:aws:sts::{account.id}:assumed-role/Till/till-1",
            "principalType": "AssumedRole",
        }
    }


@pytest.mark.parametrize(
    "header",
    [
        "Token abc",
        "gws_just-a-bare-token",
        "Bearer",
        "Bearer    ",
        "Basic dXNlcjpwYXNz",
    ],
)
async def test_a_header_in_no_known_scheme_is_not_taken_for_anonymity(
    local_api: Api, account: Account, header: str
) -> None:
    result = await local_api(WHO, headers={"Authorization": header})

    assert result.status == 401
    assert result.data is None
    assert result.error_codes() == ["Unauthenticated"]
    assert result.only_error()["message"] == NOT_UNDERSTOOD
    assert result.headers["www-authenticate"] == "Bearer, AWS4-HMAC-SHA256, GatewayKey"
    credential = header.partition(" ")[2].strip() if " " in header else header
    if credential and credential != "Bearer":
        assert credential not in json.dumps(result.errors)


async def test_a_bad_bearer_token_and_a_malformed_signature_are_401_even_for_sign_in(
    local_api: Api, account: Account
) -> None:
    sign_in = 'mutation { signInRoot(email: "x@example.com", password: "y") { token } }'

    bad_token = await local_api(sign_in, token="gws_not-a-session")
    malformed = await local_api(WHO, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    as_json = await local_api(
        WHO, token="gws_not-a-session", headers={"Accept": "application/json"}
    )

    assert (bad_token.status, bad_token.error_codes()) == (401, ["Unauthenticated"])
    assert bad_token.only_error()["message"] == INVALID
    assert (malformed.status, malformed.error_codes()) == (401, ["IncompleteSignature"])
    assert (as_json.status, as_json.data, as_json.error_codes()) == (200, None, ["Unauthenticated"])


async def test_the_gateway_key_header_is_off_by_default(
    db: TortoiseContext, database_url: str, account: Account
) -> None:
    assert Settings().key_header is False
    app: Starlette = create_app(Settings(database_url=database_url, secret_key=TEST_SECRET_KEY))
    await ensure_builtin_policies()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        api = Api(client)
        token = await sign_in_root(api)
        key = await user_key(api, token, "script")

        refused = await api(WHO, key=(key.access_key_id, key.secret_access_key))
        signed = await api(WHO, auth=Signer(key))

    assert (refused.status, refused.error_codes()) == (401, ["Unauthenticated"])
    assert refused.only_error()["message"] == KEY_HEADER_OFF
    assert refused.headers["www-authenticate"] == SIGNED_ONLY
    assert key.secret_access_key not in json.dumps(refused.errors)
    assert signed.errors == []


async def test_anonymous_requests_still_reach_sign_in(local_api: Api, account: Account) -> None:
    result = await local_api(
        'mutation { signInRoot(email: "x@example.com", password: "y") { token } }'
    )

    assert result.status == 200
    assert result.only_error()["message"] == SIGN_IN_FAILED


async def test_an_unusable_header_is_401_over_real_http_too(api: Api, account: Account) -> None:
    not_understood = await api(WHO, headers={"Authorization": "Token abc"})
    bad_token = await api(WHO, token="gws_revoked-or-never-issued")

    assert (not_understood.status, not_understood.error_codes()) == (401, ["Unauthenticated"])
    assert not_understood.only_error()["message"] == NOT_UNDERSTOOD
    assert not_understood.headers["www-authenticate"].startswith("Bearer, AWS4-HMAC-SHA256")
    assert (bad_token.status, bad_token.error_codes()) == (401, ["Unauthenticated"])
