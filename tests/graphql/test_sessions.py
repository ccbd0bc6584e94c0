"""Sessions and sign-in lockout over the API (both transports): one's own sessions, revoked
or signed-out or deleted users' sessions refused on the next request, revokeSessions and
unlockLoginProfile for root and for administrators allowed to; 429 Throttled with Retry-After."""

from __future__ import annotations

from gateway.models import Account
from tests.api import Api, Result
from tests.graphql.test_access_keys import make_user_with_key
from tests.graphql.test_authorization import PASSWORD, create_policy, document, make_user

SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) {"
    " signIn(account: $a, userName: $u, password: $p) { token } }"
)
UNLOCK = "mutation($u: String!) { unlockLoginProfile(userName: $u) }"
REVOKE = "mutation($u: String!) { revokeSessions(userName: $u) }"
SESSIONS = "{ sessions { createDate lastUsedDate expiration sourceIp mfa current accessKeyId } }"
WHO = "{ whoAmI { arn } }"
INVALID = "The security token included in the request is invalid."


async def sign_in(api: Api, account: Account, name: str, password: str) -> Result:
    return await api(SIGN_IN, {"a": account.id, "u": name, "p": password})


async def lock(api: Api, account: Account, name: str) -> None:
    for _ in range(5):
        failed = await sign_in(api, account, name, "Wrong-passw0rd")
        assert failed.error_codes() == ["Unauthenticated"]


async def test_a_locked_sign_in_gets_429_with_retry_after(
    api: Api, root_token: str, account: Account
) -> None:
    await make_user(api, root_token, "bob")
    await lock(api, account, "bob")
    refused = await sign_in(api, account, "bob", PASSWORD)
    assert refused.status == 429
    assert refused.headers["retry-after"] == "30"
    assert refused.data is None
    error = refused.only_error()
    assert error["extensions"] == {"code": "Throttled", "retryAfterSeconds": 30}
    assert error["message"] == "Too many failed sign-in attempts. Try again in 30 seconds."


async def test_a_plain_json_client_gets_200_and_retry_after(
    api: Api, root_token: str, account: Account
) -> None:
    await make_user(api, root_token, "bob")
    await lock(api, account, "bob")
    response = await api.client.post(
        "/graphql",
        json={"query": SIGN_IN, "variables": {"a": account.id, "u": "bob", "p": PASSWORD}},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["retry-after"] == "30"
    assert response.json()["errors"][0]["extensions"]["code"] == "Throttled"


async def test_root_unlocks_a_locked_user(api: Api, root_token: str, account: Account) -> None:
    await make_user(api, root_token, "bob")
    await lock(api, account, "bob")
    unlocked = await api(UNLOCK, {"u": "bob"}, token=root_token)
    assert unlocked.errors == []
    assert unlocked.data == {"unlockLoginProfile": True}
    assert (await sign_in(api, account, "bob", PASSWORD)).errors == []


async def test_an_admin_unlocks_with_the_permission_and_is_denied_without(
    api: Api, root_token: str, account: Account
) -> None:
    allow = document({"Effect": "Allow", "Action": "gateway:UnlockLoginProfile", "Resource": "*"})
    helpdesk = await make_user(
        api, root_token, "helpdesk", await create_policy(api, root_token, "Unlock", allow)
    )
    nobody = await make_user(api, root_token, "nobody")
    await make_user(api, root_token, "bob")
    await lock(api, account, "bob")
    denied = await api(UNLOCK, {"u": "bob"}, token=nobody)
    assert denied.error_codes() == ["AccessDenied"]
    assert "gateway:UnlockLoginProfile" in denied.only_error()["message"]
    assert (await sign_in(api, account, "bob", PASSWORD)).error_codes() == ["Throttled"]
    unlocked = await api(UNLOCK, {"u": "bob"}, token=helpdesk)
    assert unlocked.data == {"unlockLoginProfile": True}
    assert (await sign_in(api, account, "bob", PASSWORD)).errors == []


async def test_root_sign_in_is_throttled_too(api: Api, account: Account) -> None:
    query = "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }"
    for _ in range(5):
        failed = await api(query, {"e": "root@example.com", "p": "Wrong-passw0rd"})
        assert failed.error_codes() == ["Unauthenticated"]
    refused = await api(query, {"e": "root@example.com", "p": "Wrong-passw0rd"})
    assert refused.status == 429
    assert refused.headers["retry-after"] == "30"


async def test_a_caller_lists_its_own_sessions_without_any_permission(
    api: Api, root_token: str, account: Account
) -> None:
    first = await make_user(api, root_token, "bob")
    current = await api.sign_in(account.id, "bob", PASSWORD)
    listed = await api(SESSIONS, token=current)
    assert listed.errors == [], listed.errors
    assert listed.data is not None
    sessions = listed.data["sessions"]
    assert [s["current"] for s in sessions] == [True, False]
    assert {s["mfa"] for s in sessions} == {False}
    assert {s["accessKeyId"] for s in sessions} == {None}
    assert {s["sourceIp"] for s in sessions} == {"127.0.0.1"}
    assert sessions[0]["createDate"] <= sessions[0]["lastUsedDate"] < sessions[0]["expiration"]
    assert first not in str(listed.data)
    assert current not in str(listed.data)
    await api("mutation { signOut }", token=first)
    assert len((await api(SESSIONS, token=current)).data["sessions"]) == 1  # type: ignore[index]


async def test_a_revoked_session_is_refused_on_the_next_request(
    api: Api, root_token: str, account: Account
) -> None:
    token = await make_user(api, root_token, "bob")
    assert (await api(WHO, token=token)).errors == []  # now in the credential cache
    revoked = await api(REVOKE, {"u": "bob"}, token=root_token)
    assert revoked.errors == [], revoked.errors
    assert revoked.data == {"revokeSessions": 1}
    refused = await api(WHO, token=token)
    assert refused.error_codes() == ["Unauthenticated"]
    assert refused.only_error()["message"] == INVALID
    assert (await api(WHO, token=root_token)).errors == []


async def test_revoking_ends_getsessiontoken_credentials_too(api: Api, root_token: str) -> None:
    key = await make_user_with_key(api, root_token, "script")
    issued = await api(
        "mutation { getSessionToken { accessKeyId secretAccessKey sessionToken } }", key=key
    )
    assert issued.data is not None, issued.errors
    credentials = issued.data["getSessionToken"]
    temporary = (credentials["accessKeyId"], credentials["secretAccessKey"])
    listed = await api(SESSIONS, key=key)
    assert [s["accessKeyId"] for s in listed.data["sessions"]] == [temporary[0]]  # type: ignore[index]
    assert (await api(WHO, key=temporary)).errors == []
    assert (await api(REVOKE, {"u": "script"}, token=root_token)).data == {"revokeSessions": 1}
    assert (await api(WHO, key=temporary)).error_codes() == ["Unauthenticated"]
    assert (await api(WHO, token=credentials["sessionToken"])).error_codes() == ["Unauthenticated"]
    assert (await api(WHO, key=key)).errors == []  # the long-term key is not a session


async def test_an_admin_revokes_with_the_permission_and_is_denied_without(
    api: Api, root_token: str, account: Account
) -> None:
    allow = document({"Effect": "Allow", "Action": "gateway:RevokeSessions", "Resource": "*"})
    security = await make_user(
        api, root_token, "security", await create_policy(api, root_token, "Revoke", allow)
    )
    nobody = await make_user(api, root_token, "nobody")
    bob = await make_user(api, root_token, "bob")
    denied = await api(REVOKE, {"u": "bob"}, token=nobody)
    assert denied.error_codes() == ["AccessDenied"]
    assert "gateway:RevokeSessions" in denied.only_error()["message"]
    assert (await api(WHO, token=bob)).errors == []
    assert (await api(REVOKE, {"u": "bob"}, token=security)).data == {"revokeSessions": 1}
    assert (await api(WHO, token=bob)).error_codes() == ["Unauthenticated"]


async def test_a_signed_out_or_deleted_users_token_fails_at_once(
    api: Api, root_token: str, account: Account
) -> None:
    leaving = await make_user(api, root_token, "leaving")
    assert (await api(WHO, token=leaving)).errors == []
    assert (await api("mutation { signOut }", token=leaving)).data == {"signOut": True}
    assert (await api(WHO, token=leaving)).error_codes() == ["Unauthenticated"]

    bob = await make_user(api, root_token, "bob")
    removed = await api('mutation { deleteLoginProfile(userName: "bob") }', token=root_token)
    assert removed.errors == [], removed.errors
    assert (await api(WHO, token=bob)).errors == []  # cached again, after the last write
    deleted = await api('mutation { deleteUser(userName: "bob") }', token=root_token)
    assert deleted.errors == [], deleted.errors
    assert (await api(WHO, token=bob)).error_codes() == ["Unauthenticated"]
