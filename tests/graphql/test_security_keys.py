"""Security keys through the API: a user under AWS's "manage your own credentials" policy
registers one without MFA, signs in with it, and then (MFA present) may manage her
credentials; an administrator removes a lost key; nobody registers keys for others without
the permission; and one's own sessions can be revoked one by one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.models import Account
from tests.api import Api, sign_in_root
from tests.graphql.test_mfa import SELF_MANAGE_WITH_MFA, data, new_user
from tests.helpers import GOOD_PASSWORD
from tests.security_key import SoftKey

START = """mutation($name: String!, $user: String) {
  startSecurityKeyRegistration(name: $name, userName: $user) { registrationId options expiration }
}"""
COMPLETE = """mutation($id: String!, $credential: JSON!, $user: String) {
  completeSecurityKeyRegistration(registrationId: $id, credential: $credential, userName: $user) {
    serialNumber deviceType name userName ownerArn
  }
}"""
SIGN_IN = """mutation($a: String!, $u: String!, $p: String!) {
  signIn(account: $a, userName: $u, password: $p) { token }
}"""
VERIFY_KEY = """mutation($c: String!, $credential: JSON!) {
  verifyMfa(challenge: $c, securityKeyCredential: $credential) {
    token identity { arn mfaAuthenticated }
  }
}"""
LIST = "query($u: String) { mfaDevices(userName: $u) { serialNumber deviceType lastUsedDate } }"


@pytest.fixture
async def root_token(local_api: Api, account: Account) -> str:
    return await sign_in_root(local_api)


async def sign_in(api: Api, account: Account, name: str) -> str:
    return str(
        data(await api(SIGN_IN, {"a": account.id, "u": name, "p": GOOD_PASSWORD}))["signIn"][
            "token"
        ]
    )


async def register(api: Api, token: str, name: str, user: str | None = None) -> tuple[SoftKey, Any]:
    key = SoftKey()
    started = data(await api(START, {"name": name, "user": user}, token=token))
    registration = started["startSecurityKeyRegistration"]
    credential = key.register(registration["options"])
    done = data(
        await api(
            COMPLETE,
            {"id": registration["registrationId"], "credential": credential, "user": user},
            token=token,
        )
    )
    return key, done["completeSecurityKeyRegistration"]


async def key_sign_in(api: Api, account: Account, name: str, key: SoftKey) -> dict[str, Any]:
    result = await api(SIGN_IN, {"a": account.id, "u": name, "p": GOOD_PASSWORD})
    error = result.only_error()
    assert error["extensions"]["code"] == "MfaRequired"
    options = error["extensions"]["webauthn"]
    answer = key.assertion(options)
    verified = data(
        await api(VERIFY_KEY, {"c": error["extensions"]["challenge"], "credential": answer})
    )
    signed_in: dict[str, Any] = verified["verifyMfa"]
    return signed_in


async def test_a_user_registers_her_key_signs_in_with_it_and_then_counts_as_mfa(
    local_api: Api, root_token: str, account: Account
) -> None:
    api = local_api
    await new_user(api, root_token, "alice")
    data(
        await api(
            'mutation($d: String!) { createPolicy(input: {policyName: "SelfManage",'
            " policyDocument: $d}) { arn } }",
            {"d": json.dumps(SELF_MANAGE_WITH_MFA)},
            token=root_token,
        )
    )
    data(
        await api(
            'mutation($a: String!) { attachUserPolicy(userName: "alice", policyArn: $a)'
            " { userName } }",
            {"a": f"arn:aws:iam::{account.id}:policy/SelfManage"},
            token=root_token,
        )
    )
    token = await sign_in(api, account, "alice")
    refused = await api("mutation { createAccessKey { accessKeyId } }", token=token)
    assert refused.error_codes() == ["AccessDenied"]  # no MFA yet: DenyAllExceptListedIfNoMFA

    key, device = await register(api, token, "alice-yubikey")  # allowed without MFA

    assert device["deviceType"] == "SECURITY_KEY"
    assert device["serialNumber"].startswith(f"arn:aws:iam::{account.id}:u2f/user/alice/")
    assert device["userName"] == "alice"
    assert device["ownerArn"] == f"arn:aws:iam::{account.id}:user/alice"
    listed = data(await api(LIST, {}, token=token))["mfaDevices"]
    assert listed == [
        {"serialNumber": device["serialNumber"], "deviceType": "SECURITY_KEY", "lastUsedDate": None}
    ]

    signed_in = await key_sign_in(api, account, "alice", key)
    assert signed_in["identity"]["mfaAuthenticated"] is True
    created = await api("mutation { createAccessKey { accessKeyId } }", token=signed_in["token"])
    assert created.errors == []
    listed = data(await api(LIST, {}, token=signed_in["token"]))["mfaDevices"]
    assert listed[0]["lastUsedDate"] is not None


async def test_an_administrator_removes_a_lost_key(
    local_api: Api, root_token: str, account: Account
) -> None:
    api = local_api
    await new_user(api, root_token, "bob")
    bobs = await sign_in(api, account, "bob")
    forbidden = await api(START, {"name": "k"}, token=bobs)  # no policy lets bob enable MFA
    assert forbidden.error_codes() == ["AccessDenied"]
    _, device = await register(api, root_token, "bob-key", user="bob")
    result = await api(SIGN_IN, {"a": account.id, "u": "bob", "p": GOOD_PASSWORD})
    assert result.error_codes() == ["MfaRequired"]

    data(
        await api(
            'mutation($s: String!) { deactivateMfaDevice(userName: "bob", serialNumber: $s) }',
            {"s": device["serialNumber"]},
            token=root_token,
        )
    )

    assert data(await api(LIST, {"u": "bob"}, token=root_token))["mfaDevices"] == []
    assert (await api(SIGN_IN, {"a": account.id, "u": "bob", "p": GOOD_PASSWORD})).errors == []


async def test_an_unanswerable_or_mistyped_verify_is_refused_clearly(
    local_api: Api, root_token: str, account: Account
) -> None:
    api = local_api
    await new_user(api, root_token, "carol")
    await register(api, root_token, "carol-key", user="carol")
    error = (await api(SIGN_IN, {"a": account.id, "u": "carol", "p": GOOD_PASSWORD})).only_error()
    challenge = error["extensions"]["challenge"]
    both = await api(
        'mutation($c: String!) { verifyMfa(challenge: $c, code: "123456",'
        ' securityKeyCredential: {id: "x"}) { token } }',
        {"c": challenge},
    )
    assert both.error_codes() == ["InvalidInput"]
    junk = await api(VERIFY_KEY, {"c": challenge, "credential": [1, 2, 3]})
    assert junk.error_codes() == ["InvalidInput"]
    assert "JSON object" in junk.only_error()["message"]
    forged = await api(VERIFY_KEY, {"c": challenge, "credential": {"id": "x", "rawId": "x"}})
    refused = forged.only_error()
    assert refused["extensions"]["code"] == "InvalidAuthenticationCode"
    assert refused["extensions"]["attemptsLeft"] == 2  # the malformed calls counted no attempt
    assert "webauthn" in refused["extensions"]  # fresh options to try again


async def test_one_revokes_ones_own_other_session_and_no_one_elses(
    local_api: Api, root_token: str, account: Account
) -> None:
    api = local_api
    await new_user(api, root_token, "dave")
    laptop = await sign_in(api, account, "dave")
    phone = await sign_in(api, account, "dave")
    listed = data(await api("{ sessions { id current } }", token=laptop))["sessions"]
    other = next(s["id"] for s in listed if not s["current"])

    revoke = "mutation($id: String!) { revokeSession(sessionId: $id) }"
    assert data(await api(revoke, {"id": other}, token=laptop)) == {"revokeSession": True}

    assert (await api("{ whoAmI { arn } }", token=phone)).error_codes() == ["Unauthenticated"]
    assert (await api("{ whoAmI { arn } }", token=laptop)).errors == []
    again = await api(revoke, {"id": other}, token=laptop)
    assert again.error_codes() == ["NoSuchEntity"]
    roots = data(await api("{ sessions { id current } }", token=root_token))["sessions"]
    stranger = await api(revoke, {"id": roots[0]["id"]}, token=laptop)
    assert stranger.error_codes() == ["NoSuchEntity"]
    assert (await api("{ whoAmI { arn } }", token=root_token)).errors == []
