"""`@authorize` decides on the stored entity (issue 9): case variants, the entity's own path,
both ends of a move, canonical answers and audit events, and templates checked when the
schema is built. `test_stored_targets.py` walks every field the same way, generated."""

from __future__ import annotations

import json
from typing import Any

import pytest
import strawberry

from gateway.graphql.authorize import USER, authorize, no_permission
from gateway.graphql.schema import check_root_fields_declare_access
from gateway.models import Account, AuditEvent, User
from tests.api import Api
from tests.graphql.test_authorization import create_policy, document, make_user

PASSWORD = "Cafe-Latte-42"
STOLEN = "Stolen-Passw0rd!"
ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


async def attacker(api: Api, root_token: str, account: Account, *denials: dict[str, object]) -> str:
    """A user allowed everything but `denials`; its session token."""
    arn = await create_policy(api, root_token, "Attacker", document(ALL, *denials))
    return await make_user(api, root_token, "mallory", arn)


async def ok(
    api: Api, query: str, token: str, variables: dict[str, object] | None = None
) -> dict[str, Any]:
    result = await api(query, variables, token=token)
    assert result.errors == [], result.errors
    assert result.data is not None
    return result.data


async def test_a_deny_on_a_user_holds_whatever_case_its_name_is_typed_in(
    api: Api, root_token: str, account: Account
) -> None:
    admin_arn = f"arn:aws:iam::{account.id}:user/admin"
    await make_user(api, root_token, "admin")
    token = await attacker(
        api,
        root_token,
        account,
        {"Effect": "Deny", "Action": "iam:UpdateLoginProfile", "Resource": admin_arn},
    )
    for typed in ("ADMIN", "Admin", "aDmin", "admin"):
        taken = await api(
            "mutation($u: String!, $p: String!) {"
            " updateLoginProfile(userName: $u, password: $p) { userName } }",
            {"u": typed, "p": STOLEN},
            token=token,
        )
        assert taken.error_codes() == ["AccessDenied"], typed
        assert f"on resource: {admin_arn} with an explicit deny" in taken.only_error()["message"]
    # admin's own password still works, the attacker's does not
    await api.sign_in(account.id, "admin", PASSWORD)
    stolen = await api(
        "mutation($a: String!, $p: String!) {"
        ' signIn(account: $a, userName: "admin", password: $p) { token } }',
        {"a": account.id, "p": STOLEN},
    )
    assert stolen.error_codes() == ["Unauthenticated"]
    denied = await AuditEvent.filter(action="iam:UpdateLoginProfile", outcome="Denied")
    assert {event.resource for event in denied} == {admin_arn}


async def test_an_allowed_call_acts_on_and_answers_with_the_stored_entity(
    api: Api, root_token: str, account: Account
) -> None:
    await make_user(api, root_token, "admin")
    data = await ok(
        api,
        'mutation { tagUser(userName: "ADMIN", tags: [{key: "team", value: "ops"}])'
        " { userName arn } }",
        root_token,
    )
    assert data["tagUser"] == {
        "userName": "admin",
        "arn": f"arn:aws:iam::{account.id}:user/admin",
    }
    event = await AuditEvent.filter(action="iam:TagUser").order_by("-id").first()
    assert event is not None
    assert (event.outcome, event.resource) == ("Allowed", f"arn:aws:iam::{account.id}:user/admin")
    profile = await ok(
        api,
        'mutation { updateLoginProfile(userName: "aDMIN", passwordResetRequired: false)'
        " { userName } }",
        root_token,
    )
    assert profile["updateLoginProfile"] == {"userName": "admin"}


async def test_a_group_is_authorized_on_its_own_path_not_the_users(
    api: Api, root_token: str, account: Account
) -> None:
    await ok(
        api, 'mutation { createGroup(groupName: "PrivGroup", path: "/priv/") { arn } }', root_token
    )
    token = await attacker(
        api,
        root_token,
        account,
        {
            "Effect": "Deny",
            "Action": ["iam:AddUserToGroup", "iam:RemoveUserFromGroup"],
            "Resource": f"arn:aws:iam::{account.id}:group/priv/*",
        },
    )
    for group in ("PrivGroup", "privgroup"):
        added = await api(
            'mutation($g: String!) { addUserToGroup(groupName: $g, userName: "mallory") { arn } }',
            {"g": group},
            token=token,
        )
        assert added.error_codes() == ["AccessDenied"]
        assert "group/priv/PrivGroup with an explicit deny" in added.only_error()["message"]
    members = await ok(
        api, '{ group(groupName: "PrivGroup") { users { nodes { userName } } } }', root_token
    )
    assert members["group"]["users"]["nodes"] == []


@pytest.mark.parametrize(
    ("arguments", "denied"),
    [
        ('newPath: "/vault/"', "user/vault/bob"),
        ('newUserName: "robert"', "user/robert"),
        ('newUserName: "robert", newPath: "/vault/"', "user/vault/robert"),
    ],
)
async def test_a_move_or_rename_needs_the_permission_on_the_destination_too(
    api: Api, root_token: str, account: Account, arguments: str, denied: str
) -> None:
    await make_user(api, root_token, "bob")
    token = await attacker(
        api,
        root_token,
        account,
        {
            "Effect": "Deny",
            "Action": "iam:UpdateUser",
            "Resource": [
                f"arn:aws:iam::{account.id}:user/vault/*",
                f"arn:aws:iam::{account.id}:user/robert",
            ],
        },
    )
    moved = await api(
        f'mutation {{ updateUser(userName: "BOB", {arguments}) {{ arn }} }}', token=token
    )
    assert moved.error_codes() == ["AccessDenied"]
    assert f"on resource: arn:aws:iam::{account.id}:{denied} " in moved.only_error()["message"]
    bob = await User.get(account_id=account.id, name_lower="bob")
    assert (bob.name, bob.path) == ("bob", "/")
    # A move the destination allows goes through, with the source's canonical name.
    renamed = await ok(
        api, 'mutation { updateUser(userName: "BOB", newPath: "/staff/") { arn } }', token
    )
    assert renamed["updateUser"]["arn"] == f"arn:aws:iam::{account.id}:user/staff/bob"


async def test_policy_arn_condition_keys_carry_the_stored_policy(
    api: Api, root_token: str, account: Account
) -> None:
    administrator = "arn:aws:iam::aws:policy/AdministratorAccess"
    token = await attacker(
        api,
        root_token,
        account,
        {
            "Effect": "Deny",
            "Action": "iam:AttachUserPolicy",
            "Resource": "*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": administrator}},
        },
    )
    attached = await api(
        'mutation($a: String!) { attachUserPolicy(userName: "MALLORY", policyArn: $a)'
        " { userName } }",
        {"a": administrator},
        token=token,
    )
    assert attached.error_codes() == ["AccessDenied"]
    other_case = await api(
        'mutation($a: String!) { attachUserPolicy(userName: "mallory", policyArn: $a)'
        " { userName } }",
        {"a": administrator.lower()},
        token=token,
    )
    assert other_case.error_codes() == ["NoSuchEntity"]  # ARNs are exact: nothing is stored
    listed = await ok(
        api, '{ user(userName: "mallory") { attachedPolicies { nodes { arn } } } }', root_token
    )
    assert administrator not in json.dumps(listed)


# -- templates are checked when the schema is built ----------------------------------------------


def _schema_with(field: object) -> strawberry.Schema:
    @strawberry.type
    class Query:
        probe: str | None = field  # type: ignore[assignment]

    return strawberry.Schema(query=Query)


def test_a_template_naming_no_argument_fails_when_the_schema_is_built() -> None:
    async def probe(user_name: str) -> str | None:
        return user_name

    misspelled = strawberry.field(
        resolver=probe,
        extensions=[authorize("iam:GetUser", "arn:aws:iam::{account}:user{path}{usrName}")],
    )
    with pytest.raises(TypeError, match="'usrName', not an argument"):
        _schema_with(misspelled)
    stray = strawberry.field(resolver=probe, extensions=[authorize("iam:GetUser", "{userArn}")])
    with pytest.raises(TypeError, match="'userArn', which is neither an argument"):
        _schema_with(stray)
    fine = strawberry.field(resolver=probe, extensions=[authorize("iam:GetUser", USER)])
    assert "@authorize" in str(_schema_with(fine))


def test_a_template_of_another_shape_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="is none of"):
        authorize("iam:GetUser", "arn:aws:iam::{account}:user/{userName}")
    with pytest.raises(ValueError, match="is none of"):
        authorize("iam:GetUser", "user{path}{userName}")


def test_a_root_field_that_declares_nothing_is_refused() -> None:
    @strawberry.type
    class Loose:
        @strawberry.field
        def anything(self) -> str:
            return ""

        # Strawberry types this decorator form as returning Any.
        @strawberry.field(extensions=[no_permission("gateway:Probe")])  # type: ignore[untyped-decorator]
        def declared(self) -> str:
            return ""

    with pytest.raises(TypeError, match=r"Loose\.anything declares neither"):
        check_root_fields_declare_access(Loose)
