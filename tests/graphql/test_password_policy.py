"""The account password policy and changePassword over the API (both transports), including
sessions that must change their password before anything else."""

from __future__ import annotations

import json
from datetime import timedelta

from gateway import clock
from gateway.models import Account, AuditEvent, LoginProfile, PrincipalKind, Session
from tests.api import Api
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD

PASSWORD = "Cafe-Latte-42"
NEW_PASSWORD = "Flat-White-43"
CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"

POLICY_FIELDS = (
    "minimumPasswordLength requireSymbols requireNumbers requireUppercaseCharacters "
    "requireLowercaseCharacters allowUsersToChangePassword expirePasswords maxPasswordAge "
    "passwordReusePrevention hardExpiry"
)
UPDATE = (
    "mutation($i: PasswordPolicyInput!) { updateAccountPasswordPolicy(input: $i) { "
    + POLICY_FIELDS
    + " } }"
)
CHANGE = "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }"
SIGN_IN = (
    "mutation($a: String!, $u: String!, $p: String!) {"
    " signIn(account: $a, userName: $u, password: $p) {"
    " token identity { passwordChangeRequired } } }"
)


async def make_user(
    api: Api, token: str, name: str, *policy_arns: str, reset_required: bool = False
) -> None:
    result = await api(
        "mutation($u: String!, $p: String!, $r: Boolean!) {"
        " createUser(input: {userName: $u}) { userName }"
        " createLoginProfile(userName: $u, password: $p, passwordResetRequired: $r) { userName } }",
        {"u": name, "p": PASSWORD, "r": reset_required},
        token=token,
    )
    assert result.errors == [], result.errors
    for arn in policy_arns:
        attached = await api(
            "mutation($u: String!, $a: String!) {"
            " attachUserPolicy(userName: $u, policyArn: $a) { userName } }",
            {"u": name, "a": arn},
            token=token,
        )
        assert attached.errors == [], attached.errors


async def sign_in(
    api: Api, account: Account, name: str, password: str = PASSWORD
) -> tuple[str, bool]:
    result = await api(SIGN_IN, {"a": account.id, "u": name, "p": password})
    assert result.errors == [], result.errors
    assert result.data is not None
    payload = result.data["signIn"]
    return payload["token"], payload["identity"]["passwordChangeRequired"]


async def test_root_sets_reads_and_deletes_the_password_policy(
    api: Api, root_token: str, account: Account
) -> None:
    read = "{ accountPasswordPolicy { minimumPasswordLength maxPasswordAge expirePasswords } }"
    missing = await api(read, token=root_token)
    assert missing.error_codes() == ["NoSuchEntity"]
    assert missing.only_error()["message"] == (
        f"The Password Policy with domain name {account.id} cannot be found."
    )

    updated = await api(
        UPDATE, {"i": {"minimumPasswordLength": 14, "maxPasswordAge": 90}}, token=root_token
    )
    assert updated.errors == []
    assert updated.data == {
        "updateAccountPasswordPolicy": {
            "minimumPasswordLength": 14,
            "requireSymbols": False,
            "requireNumbers": False,
            "requireUppercaseCharacters": False,
            "requireLowercaseCharacters": False,
            "allowUsersToChangePassword": False,
            "expirePasswords": True,
            "maxPasswordAge": 90,
            "passwordReusePrevention": None,
            "hardExpiry": False,
        }
    }
    got = await api(read, token=root_token)
    assert got.data == {
        "accountPasswordPolicy": {
            "minimumPasswordLength": 14,
            "maxPasswordAge": 90,
            "expirePasswords": True,
        }
    }

    deleted = await api("mutation { deleteAccountPasswordPolicy }", token=root_token)
    assert deleted.data == {"deleteAccountPasswordPolicy": True}
    assert (await api(read, token=root_token)).error_codes() == ["NoSuchEntity"]


async def test_out_of_range_settings_get_aws_validation_errors(api: Api, root_token: str) -> None:
    result = await api(UPDATE, {"i": {"passwordReusePrevention": 25}}, token=root_token)
    error = result.only_error()
    assert error["extensions"]["code"] == "ValidationError"
    assert error["message"] == (
        "1 validation error detected: Value '25' at 'passwordReusePrevention' failed to satisfy "
        "constraint: Member must have value less than or equal to 24"
    )


async def test_the_policy_is_enforced_on_login_profiles_with_every_broken_rule(
    api: Api, root_token: str
) -> None:
    await api(
        UPDATE, {"i": {"minimumPasswordLength": 12, "requireNumbers": True}}, token=root_token
    )
    result = await api(
        'mutation { createUser(input: {userName: "bob"}) { userName }'
        ' createLoginProfile(userName: "bob", password: "Short-pass") { userName } }',
        token=root_token,
    )
    error = result.only_error()
    assert error["extensions"]["code"] == "PasswordPolicyViolation"
    assert error["message"] == (
        "Password should have a minimum length of 12; Password should have at least one number"
    )


async def test_a_user_with_iam_user_change_password_changes_their_own_password(
    api: Api, root_token: str, account: Account
) -> None:
    await make_user(api, root_token, "bob", CHANGE_PASSWORD)
    other, _ = await sign_in(api, account, "bob")
    token, restricted = await sign_in(api, account, "bob")
    assert not restricted

    changed = await api(CHANGE, {"o": PASSWORD, "n": NEW_PASSWORD}, token=token)
    assert changed.errors == []
    assert changed.data == {"changePassword": True}

    assert (await api("{ whoAmI { arn } }", token=token)).errors == []
    assert (await api("{ whoAmI { arn } }", token=other)).error_codes() == ["Unauthenticated"]
    assert await sign_in(api, account, "bob", NEW_PASSWORD)
    old = await api(SIGN_IN, {"a": account.id, "u": "bob", "p": PASSWORD})
    assert old.error_codes() == ["Unauthenticated"]


async def test_a_wrong_old_password_is_refused(api: Api, root_token: str, account: Account) -> None:
    await make_user(api, root_token, "bob", CHANGE_PASSWORD)
    token, _ = await sign_in(api, account, "bob")
    result = await api(CHANGE, {"o": "not-it", "n": NEW_PASSWORD}, token=token)
    assert result.error_codes() == ["AccessDenied"]
    assert result.only_error()["message"] == "The old password is incorrect."


async def test_without_permission_only_the_account_setting_lets_a_user_change_it(
    api: Api, root_token: str, account: Account
) -> None:
    await make_user(api, root_token, "bob")
    token, _ = await sign_in(api, account, "bob")
    denied = await api(CHANGE, {"o": PASSWORD, "n": NEW_PASSWORD}, token=token)
    assert denied.error_codes() == ["AccessDenied"]
    assert denied.only_error()["message"] == (
        f"User: arn:aws:iam::{account.id}:user/bob is not authorized to perform: "
        f"iam:ChangePassword on resource: arn:aws:iam::{account.id}:user/bob because no "
        "identity-based policy allows the iam:ChangePassword action"
    )

    await api(UPDATE, {"i": {"allowUsersToChangePassword": True}}, token=root_token)
    allowed = await api(CHANGE, {"o": PASSWORD, "n": NEW_PASSWORD}, token=token)
    assert allowed.errors == []
    assert allowed.data == {"changePassword": True}


async def test_the_root_user_changes_its_own_password(api: Api, root_token: str) -> None:
    result = await api(CHANGE, {"o": ROOT_PASSWORD, "n": NEW_PASSWORD}, token=root_token)
    assert result.errors == []
    signed_in = await api(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": NEW_PASSWORD},
    )
    assert signed_in.errors == []


async def test_a_reset_required_session_may_only_change_its_password(
    api: Api, root_token: str, account: Account
) -> None:
    await make_user(api, root_token, "bob", CHANGE_PASSWORD, READ_ONLY, reset_required=True)
    token, restricted = await sign_in(api, account, "bob")
    assert restricted

    who = await api("{ whoAmI { arn passwordChangeRequired } }", token=token)
    assert who.data == {
        "whoAmI": {"arn": f"arn:aws:iam::{account.id}:user/bob", "passwordChangeRequired": True}
    }
    refused = await api("{ users { edges { node { userName } } } }", token=token)
    assert refused.error_codes() == ["PasswordChangeRequired"]
    assert "change it with changePassword" in refused.only_error()["message"]
    event = await AuditEvent.filter(action="iam:ListUsers").order_by("-id").first()
    assert event is not None
    assert (event.outcome, event.error_code) == ("Denied", "PasswordChangeRequired")
    policy = await api("{ accountPasswordPolicy { minimumPasswordLength } }", token=token)
    assert policy.error_codes() == ["NoSuchEntity"]  # allowed, and there is none

    changed = await api(CHANGE, {"o": PASSWORD, "n": NEW_PASSWORD}, token=token)
    assert changed.errors == []

    listed = await api("{ users { edges { node { userName } } } }", token=token)
    assert listed.errors == []
    who = await api("{ whoAmI { passwordChangeRequired } }", token=token)
    assert who.data == {"whoAmI": {"passwordChangeRequired": False}}


async def test_a_reset_required_session_can_neither_switch_assume_nor_get_allowed_answers(
    api: Api, root_token: str, account: Account
) -> None:
    # An administrator whose password must be reset, trusted by a role: before changing the
    # password, the session may do exactly what the README lists, and nothing that hands out
    # other credentials or answers for it.
    await make_user(api, root_token, "bob", ADMINISTRATOR, reset_required=True)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account.id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    made = await api(
        'mutation($t: String!) { createRole(input: {roleName: "Till",'
        " assumeRolePolicyDocument: $t}) { arn } }",
        {"t": trust},
        token=root_token,
    )
    assert made.errors == [], made.errors
    role_arn = f"arn:aws:iam::{account.id}:role/Till"
    token, restricted = await sign_in(api, account, "bob")
    assert restricted

    refused_everywhere = {
        "switchRole": "mutation($r: String!) { switchRole(roleArn: $r) { token } }",
        "assumeRole": 'mutation($r: String!) { assumeRole(roleArn: $r, roleSessionName: "s")'
        " { credentials { sessionToken } } }",
        "authorize": '{ authorize(action: "s3:GetObject", resource: "*") { effect } }',
        "getSessionToken": "mutation { getSessionToken { sessionToken } }",
        "sessions": "{ sessions { current } }",
        "assumableRoles": "{ assumableRoles { arn } }",
    }
    for name, query in refused_everywhere.items():
        refused = await api(query, {"r": role_arn} if "$r" in query else None, token=token)
        assert refused.error_codes() == ["PasswordChangeRequired"], (name, refused.errors)
    assert await Session.filter(principal_kind=PrincipalKind.ROLE).count() == 0

    allowed = await api("{ whoAmI { arn } me { userName } }", token=token)
    assert allowed.errors == []
    changed = await api(CHANGE, {"o": PASSWORD, "n": NEW_PASSWORD}, token=token)
    assert changed.errors == []
    answered = await api(
        '{ authorize(action: "s3:GetObject", resource: "*") { effect } }', token=token
    )
    assert answered.data == {"authorize": {"effect": "ALLOW"}}
    signed_out = await api("mutation { signOut }", token=token)
    assert signed_out.data == {"signOut": True}


async def test_an_expired_password_forces_a_change_and_hard_expiry_refuses_sign_in(
    api: Api, root_token: str, account: Account
) -> None:
    await api(UPDATE, {"i": {"maxPasswordAge": 90}}, token=root_token)
    await make_user(api, root_token, "bob", CHANGE_PASSWORD, READ_ONLY)
    long_ago = clock.now() - timedelta(days=91)
    await LoginProfile.filter(user__name="bob").update(password_changed_at=long_ago)

    token, restricted = await sign_in(api, account, "bob")
    assert restricted
    refused = await api("{ users { edges { node { userName } } } }", token=token)
    assert refused.error_codes() == ["PasswordChangeRequired"]

    await api(UPDATE, {"i": {"maxPasswordAge": 90, "hardExpiry": True}}, token=root_token)
    result = await api(SIGN_IN, {"a": account.id, "u": "bob", "p": PASSWORD})
    assert result.error_codes() == ["Unauthenticated"]
    assert "an administrator" in result.only_error()["message"]
