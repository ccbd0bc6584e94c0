"""Access keys and GetSessionToken over the API (both transports): a script's life."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from gateway.config import Settings
from gateway.models import Account
from tests.api import Api, sign_in_root
from tests.helpers import TEST_SECRET_KEY

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
CREATE_KEY = (
    "mutation($u: String) { createAccessKey(userName: $u) {"
    " accessKeyId secretAccessKey status createDate userName } }"
)
WHO = "{ whoAmI { arn principalType } }"
INVALID = "The security token included in the request is invalid."


async def make_user_with_key(api: Api, token: str, name: str) -> tuple[str, str]:
    made = await api(
        "mutation($u: String!, $a: String!) { createUser(input: {userName: $u}) { arn }"
        " attachUserPolicy(userName: $u, policyArn: $a) { userName } }",
        {"u": name, "a": READ_ONLY},
        token=token,
    )
    assert made.errors == [], made.errors
    created = await api(CREATE_KEY, {"u": name}, token=token)
    assert created.errors == [], created.errors
    assert created.data is not None
    key = created.data["createAccessKey"]
    assert key["accessKeyId"].startswith("AKIA")
    assert key["status"] == "ACTIVE"
    assert key["userName"] == name
    return key["accessKeyId"], key["secretAccessKey"]


async def test_a_script_reads_with_its_key_and_is_denied_writes(
    api: Api, root_token: str, account: Account
) -> None:
    key = await make_user_with_key(api, root_token, "script")
    who = await api(WHO, key=key)
    assert who.errors == []
    assert who.data == {
        "whoAmI": {"arn": f"arn:aws:iam::{account.id}:user/script", "principalType": "User"}
    }
    listed = await api("{ users { nodes { userName } } }", key=key)
    assert listed.errors == []
    assert listed.data == {"users": {"nodes": [{"userName": "script"}]}}
    denied = await api('mutation { createUser(input: {userName: "x"}) { arn } }', key=key)
    assert denied.error_codes() == ["AccessDenied"]


async def test_keys_are_listed_without_secrets_with_their_last_use(
    api: Api, root_token: str
) -> None:
    key_id, secret = await make_user_with_key(api, root_token, "script")
    query = (
        '{ user(userName: "script") { accessKeys { accessKeyId status userName'
        " lastUsed { lastUsedDate serviceName region } } } }"
    )
    before = await api(query, token=root_token)
    assert before.errors == []
    assert before.data is not None
    [listed] = before.data["user"]["accessKeys"]
    assert listed["accessKeyId"] == key_id
    assert listed["lastUsed"] == {"lastUsedDate": None, "serviceName": "N/A", "region": "N/A"}
    assert secret not in str(before.data)
    await api(WHO, key=(key_id, secret))
    after = await api(query, token=root_token)
    assert after.data is not None
    used = after.data["user"]["accessKeys"][0]["lastUsed"]
    assert used["lastUsedDate"] is not None
    assert (used["serviceName"], used["region"]) == ("gateway", "N/A")
    own = await api("{ accessKeys { accessKeyId userName } }", key=(key_id, secret))
    assert own.errors == []
    assert own.data == {"accessKeys": [{"accessKeyId": key_id, "userName": "script"}]}


async def test_rotation_the_old_key_fails_on_the_next_request(api: Api, root_token: str) -> None:
    old = await make_user_with_key(api, root_token, "script")
    new = await api(CREATE_KEY, {"u": "script"}, token=root_token)
    assert new.data is not None
    fresh = (
        new.data["createAccessKey"]["accessKeyId"],
        new.data["createAccessKey"]["secretAccessKey"],
    )
    assert (await api(WHO, key=old)).errors == []
    deactivated = await api(
        'mutation($k: String!) { updateAccessKey(userName: "script", accessKeyId: $k,'
        " status: INACTIVE) { status } }",
        {"k": old[0]},
        token=root_token,
    )
    assert deactivated.data == {"updateAccessKey": {"status": "INACTIVE"}}
    refused = await api(WHO, key=old)
    assert refused.error_codes() == ["Unauthenticated"]
    assert refused.only_error()["message"] == INVALID
    assert (await api(WHO, key=fresh)).errors == []
    deleted = await api(
        'mutation($k: String!) { deleteAccessKey(userName: "script", accessKeyId: $k) }',
        {"k": old[0]},
        token=root_token,
    )
    assert deleted.data == {"deleteAccessKey": True}
    third = await api(CREATE_KEY, {"u": "script"}, token=root_token)
    assert third.errors == []
    fourth = await api(CREATE_KEY, {"u": "script"}, token=root_token)
    assert fourth.error_codes() == ["LimitExceeded"]
    assert fourth.only_error()["message"] == "Cannot exceed quota for AccessKeysPerUser: 2"


async def test_root_keys_are_disabled_by_default(api: Api, root_token: str) -> None:
    refused = await api(CREATE_KEY, {"u": None}, token=root_token)
    assert refused.error_codes() == ["AccessDenied"]
    assert "GATEWAY_ROOT_ACCESS_KEYS" in refused.only_error()["message"]


async def test_get_session_token_with_a_key_gives_working_credentials(
    api: Api, root_token: str, account: Account
) -> None:
    key = await make_user_with_key(api, root_token, "script")
    got = await api(
        "mutation { getSessionToken(durationSeconds: 900) {"
        " accessKeyId secretAccessKey sessionToken expiration } }",
        key=key,
    )
    assert got.errors == [], got.errors
    assert got.data is not None
    credentials = got.data["getSessionToken"]
    assert credentials["accessKeyId"].startswith("ASIA")
    arn = f"arn:aws:iam::{account.id}:user/script"
    by_token = await api(WHO, token=credentials["sessionToken"])
    by_key = await api(WHO, key=(credentials["accessKeyId"], credentials["secretAccessKey"]))
    for who in (by_token, by_key):
        assert who.errors == []
        assert who.data is not None
        assert who.data["whoAmI"]["arn"] == arn
    # AWS: credentials from GetSessionToken without MFA may call no IAM operation, and
    # `authorize` answers as they would be treated; other actions are decided by the policies.
    iam = await api("{ users { nodes { userName } } }", token=credentials["sessionToken"])
    assert iam.error_codes() == ["AccessDenied"]
    assert "without MFA cannot call IAM operations" in iam.only_error()["message"]
    asked = await api(
        '{ iam: authorize(action: "iam:ListUsers", resource: "*") { effect deniedBy reason }'
        '  app: authorize(action: "s3:GetObject", resource: "*") { effect deniedBy } }',
        token=credentials["sessionToken"],
    )
    assert asked.data is not None
    assert asked.data["iam"]["effect"] == "IMPLICIT_DENY"
    assert asked.data["iam"]["deniedBy"] == "session"
    assert "without MFA cannot call IAM operations" in asked.data["iam"]["reason"]
    assert asked.data["app"] == {"effect": "IMPLICIT_DENY", "deniedBy": "identity"}
    again = await api(
        "mutation { getSessionToken { expiration } }", token=credentials["sessionToken"]
    )
    assert again.error_codes() == ["AccessDenied"]
    assert again.only_error()["message"] == "Cannot call GetSessionToken with session credentials"


async def test_get_session_token_refuses_sign_in_sessions_bad_durations_and_mfa(
    api: Api, root_token: str
) -> None:
    key = await make_user_with_key(api, root_token, "script")
    session = await api("mutation { getSessionToken { expiration } }", token=root_token)
    assert session.error_codes() == ["AccessDenied"]
    short = await api("mutation { getSessionToken(durationSeconds: 60) { expiration } }", key=key)
    assert short.error_codes() == ["ValidationError"]
    mfa = await api(
        'mutation { getSessionToken(serialNumber: "arn:aws:iam::1:mfa/x", tokenCode: "123456")'
        " { expiration } }",
        key=key,
    )
    assert mfa.error_codes() == ["AccessDenied"]  # no such device of the caller's
    assert mfa.only_error()["message"] == (
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )
    half = await api('mutation { getSessionToken(tokenCode: "123456") { expiration } }', key=key)
    assert half.error_codes() == ["InvalidInput"]


async def test_a_bad_key_header_is_unauthenticated(api: Api, account: Account) -> None:
    result = await api(WHO, key=("AKIA" + "Q" * 17, "not-the-secret"))
    assert result.error_codes() == ["Unauthenticated"]
    assert result.only_error()["message"] == INVALID


async def test_root_keys_work_where_the_setting_allows_them(
    database_url: str, account: Account
) -> None:
    app = create_app(
        Settings(
            database_url=database_url,
            root_access_keys=True,
            secret_key=TEST_SECRET_KEY,
            key_header=True,
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        api = Api(client)
        token = await sign_in_root(api)
        created = await api(CREATE_KEY, {"u": None}, token=token)
        assert created.errors == [], created.errors
        assert created.data is not None
        key = created.data["createAccessKey"]
        assert key["userName"] is None
        who = await api(WHO, key=(key["accessKeyId"], key["secretAccessKey"]))
        assert who.data == {
            "whoAmI": {"arn": f"arn:aws:iam::{account.id}:root", "principalType": "Account"}
        }
        got = await api(
            "mutation { getSessionToken(durationSeconds: 7200) { expiration } }",
            key=(key["accessKeyId"], key["secretAccessKey"]),
        )
        assert got.errors == [], got.errors
