"""MFA through the API, in process and over real HTTP, with real codes at the real time:
enrolment, sign-in with a challenge, aliases that cannot multiply attempts, and AWS's policy
that lets users manage their own credentials only once they signed in with MFA."""

from __future__ import annotations

import json
from typing import Any

from gateway.models import Account, MfaChallenge, SignInThrottle, User
from gateway.services import mfa_challenges, signin_throttling
from tests.api import Api
from tests.helpers import GOOD_PASSWORD
from tests.mfa import Authenticator

SELF_MANAGE_WITH_MFA = {
    # AWS IAM User Guide, "AWS: Allows MFA-authenticated IAM users to manage their own
    # credentials on the Security credentials page" (statements for signing certificates, SSH
    # keys and Git credentials left out: the gateway has none of those).
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowViewAccountInfo",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowManageOwnPasswords",
            "Effect": "Allow",
            "Action": ["iam:ChangePassword", "iam:GetUser"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "AllowManageOwnAccessKeys",
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:GetAccessKeyLastUsed",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "AllowManageOwnVirtualMFADevice",
            "Effect": "Allow",
            "Action": ["iam:CreateVirtualMFADevice"],
            "Resource": "arn:aws:iam::*:mfa/*",
        },
        {
            "Sid": "AllowManageOwnUserMFA",
            "Effect": "Allow",
            "Action": [
                "iam:DeactivateMFADevice",
                "iam:EnableMFADevice",
                "iam:ListMFADevices",
                "iam:ResyncMFADevice",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:GetMFADevice",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}

CREATE_DEVICE = """mutation($name: String!) {
  createVirtualMfaDevice(virtualMfaDeviceName: $name) {
    device { serialNumber enableDate }
    base32StringSeed otpauthUri qrCodePng
  }
}"""
ENABLE = """mutation($serial: String!, $c1: String!, $c2: String!, $user: String) {
  enableMfaDevice(serialNumber: $serial, authenticationCode1: $c1,
                  authenticationCode2: $c2, userName: $user) { serialNumber userName }
}"""
SIGN_IN = """mutation($a: String!, $u: String!, $p: String!) {
  signIn(account: $a, userName: $u, password: $p) { token }
}"""
VERIFY = """mutation($c: String!, $code: String!) {
  verifyMfa(challenge: $c, code: $code) { token identity { arn mfaAuthenticated } }
}"""
CREATE_KEY = (
    "mutation($u: String) { createAccessKey(userName: $u) { accessKeyId secretAccessKey } }"
)


def data(result: Any) -> dict[str, Any]:
    assert result.errors == [], result.errors
    assert result.data is not None
    found: dict[str, Any] = result.data
    return found


async def new_user(api: Api, root_token: str, name: str) -> None:
    data(
        await api(
            "mutation($u: String!) { createUser(input: {userName: $u}) { arn } }",
            {"u": name},
            token=root_token,
        )
    )
    data(
        await api(
            "mutation($u: String!, $p: String!) {"
            " createLoginProfile(userName: $u, password: $p) { createDate } }",
            {"u": name, "p": GOOD_PASSWORD},
            token=root_token,
        )
    )


async def enrol(api: Api, token: str, name: str, user: str | None) -> Authenticator:
    """Create a device named `name` and enable it (for `user`, or the caller)."""
    created = data(await api(CREATE_DEVICE, {"name": name}, token=token))
    new = created["createVirtualMfaDevice"]
    assert new["device"]["enableDate"] is None
    assert new["qrCodePng"].startswith("data:image/png;base64,")
    assert new["otpauthUri"].startswith("otpauth://totp/")
    app = Authenticator(new["device"]["serialNumber"], new["base32StringSeed"])
    code_1, code_2 = app.enabling_codes()
    enabled = data(
        await api(
            ENABLE,
            {"serial": app.serial_number, "c1": code_1, "c2": code_2, "user": user},
            token=token,
        )
    )
    assert enabled["enableMfaDevice"]["serialNumber"] == app.serial_number
    return app


async def challenge_for(api: Api, account: Account, name: str) -> str:
    """The challenge that a right password gets for a user with MFA."""
    result = await api(SIGN_IN, {"a": account.id, "u": name, "p": GOOD_PASSWORD})
    assert result.data is None
    error = result.only_error()
    assert error["extensions"]["code"] == "MfaRequired"
    assert error["extensions"]["attemptsAllowed"] == mfa_challenges.MAX_ATTEMPTS
    challenge: str = error["extensions"]["challenge"]
    return challenge


def wrong_code(app: Authenticator) -> str:
    """Six digits that none of the steps in the window shows."""
    shown = {app.code(step) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in shown)


async def test_enrol_then_sign_in_with_a_code(api: Api, root_token: str, account: Account) -> None:
    await new_user(api, root_token, "bob")
    app = await enrol(api, root_token, "bob-phone", "bob")
    listed = data(
        await api(
            '{ mfaDevices(userName: "bob") { serialNumber userName enableDate } }',
            token=root_token,
        )
    )
    assert listed["mfaDevices"][0]["serialNumber"] == app.serial_number
    assert listed["mfaDevices"][0]["userName"] == "bob"

    challenge = await challenge_for(api, account, "bob")
    # The next step's code: enabling used the current one, and a code works only once.
    code = app.code(1)
    signed_in = data(await api(VERIFY, {"c": challenge, "code": code}))["verifyMfa"]
    assert signed_in["identity"]["mfaAuthenticated"] is True
    token = signed_in["token"]
    sessions = data(await api("{ sessions { mfa current } }", token=token))["sessions"]
    assert sessions == [{"mfa": True, "current": True}]
    who = data(await api("{ whoAmI { arn mfaAuthenticated } }", token=token))
    assert who["whoAmI"]["mfaAuthenticated"] is True

    replay = await api(VERIFY, {"c": await challenge_for(api, account, "bob"), "code": code})
    error = replay.only_error()
    assert error["extensions"]["code"] == "InvalidAuthenticationCode"
    assert error["extensions"]["attemptsLeft"] == mfa_challenges.MAX_ATTEMPTS - 1


async def test_virtual_devices_are_listed_by_serial_number_page_by_page(
    api: Api, root_token: str, account: Account
) -> None:
    await new_user(api, root_token, "bob")
    await enrol(api, root_token, "b-phone", "bob")
    for name in ("a-spare", "c-spare"):
        data(await api(CREATE_DEVICE, {"name": name}, token=root_token))
    query = """query($status: AssignmentStatus!, $after: String) {
      virtualMfaDevices(assignmentStatus: $status, first: 2, after: $after) {
        nodes { serialNumber userName } pageInfo { hasNextPage endCursor } } }"""
    first = data(await api(query, {"status": "ANY"}, token=root_token))["virtualMfaDevices"]
    serial = f"arn:aws:iam::{account.id}:mfa/"
    assert first["nodes"] == [
        {"serialNumber": serial + "a-spare", "userName": None},
        {"serialNumber": serial + "b-phone", "userName": "bob"},
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    rest = data(await api(query, {"status": "ANY", "after": after}, token=root_token))
    assert rest["virtualMfaDevices"]["nodes"] == [
        {"serialNumber": serial + "c-spare", "userName": None}
    ]
    assigned = data(await api(query, {"status": "ASSIGNED"}, token=root_token))
    assert [n["serialNumber"] for n in assigned["virtualMfaDevices"]["nodes"]] == [
        serial + "b-phone"
    ]


async def test_aliases_cannot_multiply_attempts(
    api: Api, root_token: str, account: Account
) -> None:
    await new_user(api, root_token, "bob")
    app = await enrol(api, root_token, "bob-phone", "bob")
    challenge = await challenge_for(api, account, "bob")
    wrong = wrong_code(app)

    def aliased(count: int) -> str:
        calls = " ".join(
            f'a{i}: verifyMfa(challenge: "{challenge}", code: "{wrong}") {{ token }}'
            for i in range(count)
        )
        return f"mutation {{ {calls} }}"

    refused = await api(aliased(100))
    assert refused.error_codes() == ["GRAPHQL_VALIDATION_FAILED"]
    assert (await MfaChallenge.get()).attempts == 0

    # A document may hold 30 aliases; verifyMfa is non-null, so the first wrong code ends the
    # whole (serially executed) mutation: one attempt per request, however many aliases.
    for attempt in range(1, mfa_challenges.MAX_ATTEMPTS + 1):
        most = await api(aliased(30))
        assert most.error_codes() == ["InvalidAuthenticationCode"]
        assert (await MfaChallenge.get()).attempts == attempt
    assert (await api(aliased(30))).error_codes() == ["Unauthenticated"]
    assert (await MfaChallenge.get()).attempts == mfa_challenges.MAX_ATTEMPTS
    bob = await User.get(name="bob")
    counter = await SignInThrottle.get(key=signin_throttling.identity_key(bob.arn))
    assert counter.failures == mfa_challenges.MAX_ATTEMPTS

    spent = await api(VERIFY, {"c": challenge, "code": app.code(1)})
    assert spent.only_error()["message"] == mfa_challenges.CHALLENGE_SPENT


async def test_users_manage_their_own_credentials_only_after_signing_in_with_mfa(
    api: Api, root_token: str, account: Account
) -> None:
    await new_user(api, root_token, "alice")
    await new_user(api, root_token, "bob")
    policy = data(
        await api(
            'mutation($d: String!) { createPolicy(input: {policyName: "SelfManage",'
            " policyDocument: $d}) { arn } }",
            {"d": json.dumps(SELF_MANAGE_WITH_MFA)},
            token=root_token,
        )
    )["createPolicy"]["arn"]
    data(
        await api(
            'mutation($p: String!) { attachUserPolicy(userName: "alice", policyArn: $p)'
            " { userName } }",
            {"p": policy},
            token=root_token,
        )
    )

    no_mfa = await api.sign_in(account.id, "alice", GOOD_PASSWORD)
    denied = await api(CREATE_KEY, token=no_mfa)
    assert denied.error_codes() == ["AccessDenied"]
    assert "explicit deny" in denied.only_error()["message"]
    # What the policy leaves open without MFA: setting up MFA itself.
    app = await enrol(api, no_mfa, "alice", None)

    challenge = await challenge_for(api, account, "alice")
    with_mfa = data(await api(VERIFY, {"c": challenge, "code": app.code(1)}))["verifyMfa"]["token"]
    key = data(await api(CREATE_KEY, token=with_mfa))["createAccessKey"]
    assert key["accessKeyId"].startswith("AKIA")
    others = await api(CREATE_KEY, {"u": "bob"}, token=with_mfa)
    assert others.error_codes() == ["AccessDenied"]
    codes = data(await api("mutation { generateRecoveryCodes }", token=with_mfa))
    assert len(codes["generateRecoveryCodes"]) == 10
    assert (await api("mutation { generateRecoveryCodes }", token=no_mfa)).error_codes() == [
        "AccessDenied"
    ]

    # A long-term access key carries no MFA at all: BoolIfExists denies, as in AWS.
    signed = (key["accessKeyId"], key["secretAccessKey"])
    assert (await api(CREATE_KEY, key=signed)).error_codes() == ["AccessDenied"]


GET_SESSION_TOKEN = """mutation($s: String, $t: String) {
  getSessionToken(serialNumber: $s, tokenCode: $t) { accessKeyId secretAccessKey }
}"""


async def test_a_script_gets_mfa_credentials_for_iam_calls(api: Api, root_token: str) -> None:
    await new_user(api, root_token, "bob")
    data(
        await api(
            'mutation { attachUserPolicy(userName: "bob",'
            ' policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess") { userName } }',
            token=root_token,
        )
    )
    app = await enrol(api, root_token, "bob-phone", "bob")
    key = data(await api(CREATE_KEY, {"u": "bob"}, token=root_token))["createAccessKey"]
    signed = (key["accessKeyId"], key["secretAccessKey"])
    list_users = "{ users { nodes { userName } } }"

    plain = data(await api(GET_SESSION_TOKEN, key=signed))["getSessionToken"]
    without = await api(list_users, key=(plain["accessKeyId"], plain["secretAccessKey"]))
    assert without.error_codes() == ["AccessDenied"]

    wrong = await api(GET_SESSION_TOKEN, {"s": app.serial_number, "t": wrong_code(app)}, key=signed)
    assert wrong.error_codes() == ["AccessDenied"]
    assert wrong.only_error()["message"] == (
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )
    mfa = data(await api(GET_SESSION_TOKEN, {"s": app.serial_number, "t": app.code(1)}, key=signed))
    credentials = mfa["getSessionToken"]
    listed = data(
        await api(list_users, key=(credentials["accessKeyId"], credentials["secretAccessKey"]))
    )
    assert {node["userName"] for node in listed["users"]["nodes"]} == {"bob"}
