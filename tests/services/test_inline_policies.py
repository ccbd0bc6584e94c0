"""Inline policies of users, groups and roles (gateway/services/inline_policies.py)."""

from __future__ import annotations

import pytest

from gateway.errors import LimitExceeded, MalformedPolicyDocument, NoSuchEntity, ValidationError
from gateway.models import InlinePolicy
from gateway.services.groups import create_group
from gateway.services.inline_policies import (
    delete_group_policy,
    delete_role_policy,
    delete_user_policy,
    get_group_policy,
    get_role_policy,
    get_user_policy,
    list_group_policies,
    list_role_policies,
    list_user_policies,
    put_group_policy,
    put_role_policy,
    put_user_policy,
)
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.services.helpers import Rejects, Succeeds
from tests.services.policy_fixtures import document, sized_document, trust_document

READ = document("s3:GetObject")


async def test_put_get_list_delete_user_policy(root: Principal, succeeds: Succeeds) -> None:
    user = await create_user(root, user_name="alice")

    put = await succeeds(
        put_user_policy(root, user_name="alice", policy_name="Read", policy_document=READ),
        actor=root,
        action="iam:PutUserPolicy",
        resource=user.arn,
    )
    await put_user_policy(root, user_name="alice", policy_name="alpha", policy_document=READ)

    assert (put.entity_kind, put.entity_id, put.document) == ("user", user.id, READ)
    assert (await get_user_policy(root, "alice", "read")).id == put.id
    assert await list_user_policies(root, "alice") == ["alpha", "Read"]

    await succeeds(
        delete_user_policy(root, user_name="alice", policy_name="READ"),
        actor=root,
        action="iam:DeleteUserPolicy",
        resource=user.arn,
    )
    assert await list_user_policies(root, "alice") == ["alpha"]


async def test_put_with_an_existing_name_replaces_the_document(root: Principal) -> None:
    await create_user(root, user_name="alice")
    first = await put_user_policy(root, user_name="alice", policy_name="Read", policy_document=READ)
    new_text = document("s3:ListBucket")

    second = await put_user_policy(
        root, user_name="alice", policy_name="READ", policy_document=new_text
    )

    assert second.id == first.id
    stored = await InlinePolicy.get(id=first.id)
    assert (stored.name, stored.document) == ("Read", new_text)
    assert await InlinePolicy.all().count() == 1


async def test_user_inline_policies_share_2048_characters(
    root: Principal, rejects: Rejects
) -> None:
    await create_user(root, user_name="bob")
    await put_user_policy(
        root, user_name="bob", policy_name="A", policy_document=sized_document(1000)
    )
    await put_user_policy(
        root, user_name="bob", policy_name="B", policy_document=sized_document(1048)
    )

    await rejects(
        put_user_policy(root, user_name="bob", policy_name="C", policy_document=READ),
        LimitExceeded,
        "Maximum policy size of 2048 bytes exceeded for user bob",
        action="iam:PutUserPolicy",
    )
    # Replacing a policy counts its new document only.
    await put_user_policy(
        root, user_name="bob", policy_name="b", policy_document=sized_document(1048)
    )


async def test_group_inline_policies_share_5120_characters(
    root: Principal, rejects: Rejects
) -> None:
    await create_group(root, group_name="Cashiers")
    await put_group_policy(
        root, group_name="Cashiers", policy_name="A", policy_document=sized_document(5000)
    )

    await rejects(
        put_group_policy(
            root, group_name="Cashiers", policy_name="B", policy_document=sized_document(121)
        ),
        LimitExceeded,
        "Maximum policy size of 5120 bytes exceeded for group Cashiers",
        action="iam:PutGroupPolicy",
    )


async def test_put_group_policy_and_read_it_back(root: Principal, succeeds: Succeeds) -> None:
    group = await create_group(root, group_name="Cashiers")

    await succeeds(
        put_group_policy(root, group_name="Cashiers", policy_name="List", policy_document=READ),
        actor=root,
        action="iam:PutGroupPolicy",
        resource=group.arn,
    )

    assert (await get_group_policy(root, "cashiers", "List")).document == READ
    assert await list_group_policies(root, "Cashiers") == ["List"]
    await succeeds(
        delete_group_policy(root, group_name="Cashiers", policy_name="List"),
        actor=root,
        action="iam:DeleteGroupPolicy",
        resource=group.arn,
    )
    assert await list_group_policies(root, "Cashiers") == []


async def test_missing_inline_policies(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")
    await create_group(root, group_name="Cashiers")

    with pytest.raises(NoSuchEntity) as raised:
        await get_user_policy(root, "alice", "Nope")
    assert raised.value.message == "The user policy with name Nope cannot be found."
    with pytest.raises(NoSuchEntity) as raised:
        await get_group_policy(root, "Cashiers", "Nope")
    assert raised.value.message == "The group policy with name Nope cannot be found."
    await rejects(
        delete_user_policy(root, user_name="alice", policy_name="Nope"),
        NoSuchEntity,
        "The user policy with name Nope cannot be found.",
        action="iam:DeleteUserPolicy",
    )
    await rejects(
        delete_group_policy(root, group_name="Cashiers", policy_name="Nope"),
        NoSuchEntity,
        "The group policy with name Nope cannot be found.",
        action="iam:DeleteGroupPolicy",
    )


async def test_put_user_policy_rejects_bad_input(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")

    await rejects(
        put_user_policy(root, user_name="alice", policy_name="Bad", policy_document="[]"),
        MalformedPolicyDocument,
        "Syntax errors in policy.",
        action="iam:PutUserPolicy",
    )
    await rejects(
        put_user_policy(root, user_name="alice", policy_name="a b", policy_document=READ),
        ValidationError,
        "1 validation error detected: Value 'a b' at 'policyName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        action="iam:PutUserPolicy",
    )
    await rejects(
        put_user_policy(root, user_name="ghost", policy_name="P", policy_document=READ),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:PutUserPolicy",
    )
    await rejects(
        put_group_policy(root, group_name="Ghosts", policy_name="P", policy_document=READ),
        NoSuchEntity,
        "The group with name Ghosts cannot be found.",
        action="iam:PutGroupPolicy",
    )


async def test_inline_policies_of_another_account_are_invisible(
    root: Principal, other_root: Principal
) -> None:
    await create_user(other_root, user_name="alice")
    await put_user_policy(other_root, user_name="alice", policy_name="P", policy_document=READ)

    with pytest.raises(NoSuchEntity):
        await list_user_policies(root, "alice")


# -- roles ----------------------------------------------------------------------------------------


async def test_put_get_list_delete_role_policy(
    root: Principal, succeeds: Succeeds, rejects: Rejects
) -> None:
    role = await create_role(
        root,
        role_name="Cashier",
        assume_role_policy_document=trust_document(f"arn:aws:iam::{root.account_id}:root"),
    )

    await succeeds(
        put_role_policy(root, role_name="cashier", policy_name="Till", policy_document=READ),
        actor=root,
        action="iam:PutRolePolicy",
        resource=role.arn,
    )
    assert (await get_role_policy(root, "Cashier", "TILL")).document == READ
    assert await list_role_policies(root, "Cashier") == ["Till"]
    await succeeds(
        delete_role_policy(root, role_name="Cashier", policy_name="till"),
        actor=root,
        action="iam:DeleteRolePolicy",
        resource=role.arn,
    )
    assert await list_role_policies(root, "Cashier") == []
    await rejects(
        delete_role_policy(root, role_name="Cashier", policy_name="Till"),
        NoSuchEntity,
        "The role policy with name Till cannot be found.",
        action="iam:DeleteRolePolicy",
    )
    await rejects(
        put_role_policy(root, role_name="ghost", policy_name="Till", policy_document=READ),
        NoSuchEntity,
        "The role with name ghost cannot be found.",
        action="iam:PutRolePolicy",
    )


async def test_role_inline_policies_share_10240_characters(
    root: Principal, rejects: Rejects
) -> None:
    await create_role(
        root,
        role_name="Cashier",
        assume_role_policy_document=trust_document(f"arn:aws:iam::{root.account_id}:root"),
    )
    for name in ("A", "B"):
        await put_role_policy(
            root, role_name="Cashier", policy_name=name, policy_document=sized_document(5000)
        )
    await put_role_policy(
        root, role_name="Cashier", policy_name="C", policy_document=sized_document(240)
    )

    await rejects(
        put_role_policy(
            root, role_name="Cashier", policy_name="D", policy_document=sized_document(120)
        ),
        LimitExceeded,
        "Maximum policy size of 10240 bytes exceeded for role Cashier",
        action="iam:PutRolePolicy",
    )
