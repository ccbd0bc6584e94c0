"""Attaching managed policies to users, groups and roles (gateway/services/attachments.py)."""

from __future__ import annotations

import pytest

from gateway.errors import NoSuchEntity, ValidationError
from gateway.models import ManagedPolicy, PolicyAttachment, Role
from gateway.services.attachments import (
    attach_group_policy,
    attach_role_policy,
    attach_user_policy,
    attached_policies_for,
    detach_group_policy,
    detach_role_policy,
    detach_user_policy,
    list_attached_group_policies,
    list_attached_role_policies,
    list_attached_user_policies,
    list_entities_for_policy,
)
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.groups import create_group
from gateway.services.policies import create_policy, get_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.services.helpers import Rejects, Succeeds
from tests.services.policy_fixtures import counting_queries, document, trust_document

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


async def new_policy(root: Principal, name: str, path: str = "/") -> ManagedPolicy:
    return await create_policy(
        root, policy_name=name, policy_document=document(f"s3:{name}"), path=path
    )


async def stored_count(policy: ManagedPolicy) -> int:
    return (await ManagedPolicy.get(id=policy.id)).attachment_count


async def test_attach_user_policy_counts_the_attachment(
    root: Principal, succeeds: Succeeds
) -> None:
    user = await create_user(root, user_name="alice")
    policy = await new_policy(root, "Cashiers")

    attached = await succeeds(
        attach_user_policy(root, user_name="ALICE", policy_arn=policy.arn),
        actor=root,
        action="iam:AttachUserPolicy",
        resource=user.arn,
    )

    assert attached.arn == policy.arn
    assert attached.attachment_count == 1
    assert await stored_count(policy) == 1
    page = await list_attached_user_policies(root, "alice")
    assert [p.arn for p in page.items] == [policy.arn]


async def test_attaching_twice_succeeds_and_changes_nothing(
    root: Principal, succeeds: Succeeds
) -> None:
    await create_user(root, user_name="alice")
    policy = await new_policy(root, "Cashiers")
    await attach_user_policy(root, user_name="alice", policy_arn=policy.arn)

    await succeeds(
        attach_user_policy(root, user_name="alice", policy_arn=policy.arn),
        actor=root,
        action="iam:AttachUserPolicy",
        resource=None,
    )

    assert await stored_count(policy) == 1
    assert await PolicyAttachment.filter(policy_id=policy.id).count() == 1


async def test_detach_user_policy(root: Principal, succeeds: Succeeds) -> None:
    user = await create_user(root, user_name="alice")
    policy = await new_policy(root, "Cashiers")
    await attach_user_policy(root, user_name="alice", policy_arn=policy.arn)

    await succeeds(
        detach_user_policy(root, user_name="alice", policy_arn=policy.arn),
        actor=root,
        action="iam:DetachUserPolicy",
        resource=user.arn,
    )

    assert await stored_count(policy) == 0
    assert (await list_attached_user_policies(root, "alice")).items == []


async def test_detach_a_policy_that_is_not_attached(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")
    policy = await new_policy(root, "Cashiers")

    await rejects(
        detach_user_policy(root, user_name="alice", policy_arn=policy.arn),
        NoSuchEntity,
        f"Policy {policy.arn} was not found.",
        action="iam:DetachUserPolicy",
    )


async def test_attach_a_policy_that_does_not_exist(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")
    arn = f"arn:aws:iam::{root.account_id}:policy/Nope"

    await rejects(
        attach_user_policy(root, user_name="alice", policy_arn=arn),
        NoSuchEntity,
        f"Policy {arn} does not exist or is not attachable.",
        action="iam:AttachUserPolicy",
    )


async def test_another_accounts_policy_is_not_attachable(
    root: Principal, other_root: Principal, rejects: Rejects
) -> None:
    await create_user(root, user_name="alice")
    theirs = await new_policy(other_root, "Theirs")

    await rejects(
        attach_user_policy(root, user_name="alice", policy_arn=theirs.arn),
        NoSuchEntity,
        f"Policy {theirs.arn} does not exist or is not attachable.",
        action="iam:AttachUserPolicy",
    )


async def test_attach_to_a_user_that_does_not_exist(root: Principal, rejects: Rejects) -> None:
    policy = await new_policy(root, "Cashiers")
    await rejects(
        attach_user_policy(root, user_name="bob", policy_arn=policy.arn),
        NoSuchEntity,
        "The user with name bob cannot be found.",
        action="iam:AttachUserPolicy",
    )
    await rejects(
        attach_group_policy(root, group_name="Nobody", policy_arn=policy.arn),
        NoSuchEntity,
        "The group with name Nobody cannot be found.",
        action="iam:AttachGroupPolicy",
    )


async def test_attach_rejects_a_bad_user_name(root: Principal, rejects: Rejects) -> None:
    await rejects(
        attach_user_policy(root, user_name="a/b", policy_arn=ADMIN),
        ValidationError,
        "1 validation error detected: Value 'a/b' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        action="iam:AttachUserPolicy",
    )


async def test_attach_and_detach_group_policy(
    root: Principal, succeeds: Succeeds, rejects: Rejects
) -> None:
    group = await create_group(root, group_name="Cashiers")
    policy = await new_policy(root, "ListBucket")

    await succeeds(
        attach_group_policy(root, group_name="cashiers", policy_arn=policy.arn),
        actor=root,
        action="iam:AttachGroupPolicy",
        resource=group.arn,
    )
    assert [p.name for p in (await list_attached_group_policies(root, "Cashiers")).items] == [
        "ListBucket"
    ]
    await succeeds(
        detach_group_policy(root, group_name="Cashiers", policy_arn=policy.arn),
        actor=root,
        action="iam:DetachGroupPolicy",
        resource=group.arn,
    )
    assert await stored_count(policy) == 0
    await rejects(
        detach_group_policy(root, group_name="Cashiers", policy_arn=policy.arn),
        NoSuchEntity,
        f"Policy {policy.arn} was not found.",
        action="iam:DetachGroupPolicy",
    )


async def test_aws_managed_attachment_counts_are_per_account(
    root: Principal, other_root: Principal
) -> None:
    await ensure_builtin_policies()
    await create_user(root, user_name="alice")
    await create_user(other_root, user_name="bob")
    await create_user(other_root, user_name="carol")
    await attach_user_policy(root, user_name="alice", policy_arn=ADMIN)
    await attach_user_policy(other_root, user_name="bob", policy_arn=ADMIN)
    attached = await attach_user_policy(other_root, user_name="carol", policy_arn=ADMIN)

    assert attached.attachment_count == 2
    assert (await get_policy(root, ADMIN)).attachment_count == 1
    [listed] = (await list_attached_user_policies(root, "alice")).items
    assert listed.attachment_count == 1


async def test_list_attached_policies_by_path_and_page(root: Principal) -> None:
    await create_user(root, user_name="alice")
    for name, path in [("C", "/a/"), ("A", "/a/"), ("B", "/b/"), ("D", "/a/")]:
        policy = await new_policy(root, name, path)
        await attach_user_policy(root, user_name="alice", policy_arn=policy.arn)

    first = await list_attached_user_policies(root, "alice", path_prefix="/a/", first=2)
    rest = await list_attached_user_policies(
        root, "alice", path_prefix="/a/", first=2, after=first.end_cursor
    )

    assert [p.name for p in first.items] == ["A", "C"]
    assert first.has_next
    assert [p.name for p in rest.items] == ["D"]
    assert not rest.has_next


async def test_list_attached_for_a_missing_user(root: Principal) -> None:
    with pytest.raises(NoSuchEntity) as raised:
        await list_attached_user_policies(root, "ghost")
    assert raised.value.message == "The user with name ghost cannot be found."


async def test_list_entities_for_policy(root: Principal, other_root: Principal) -> None:
    await ensure_builtin_policies()
    for name, path in [("zed", "/"), ("amy", "/ops/")]:
        await create_user(root, user_name=name, path=path)
        await attach_user_policy(root, user_name=name, policy_arn=ADMIN)
    await create_group(root, group_name="Admins")
    await attach_group_policy(root, group_name="Admins", policy_arn=ADMIN)
    await create_user(other_root, user_name="stranger")
    await attach_user_policy(other_root, user_name="stranger", policy_arn=ADMIN)

    everything = await list_entities_for_policy(root, ADMIN)
    users_only = await list_entities_for_policy(root, ADMIN, entity_filter="User")
    under_ops = await list_entities_for_policy(root, ADMIN, path_prefix="/ops/")

    assert [u.name for u in everything.users] == ["amy", "zed"]
    assert [g.name for g in everything.groups] == ["Admins"]
    assert (len(users_only.users), users_only.groups) == (2, [])
    assert ([u.name for u in under_ops.users], under_ops.groups) == (["amy"], [])


async def test_list_entities_for_policy_rejects_an_unknown_filter(root: Principal) -> None:
    await ensure_builtin_policies()
    with pytest.raises(ValidationError) as raised:
        await list_entities_for_policy(root, ADMIN, entity_filter="Robot")
    assert raised.value.message == (
        "1 validation error detected: Value 'Robot' at 'entityFilter' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"
    )


async def test_attached_policies_for_many_entities_in_one_query(root: Principal) -> None:
    users = [await create_user(root, user_name=f"u{i}") for i in range(3)]
    b, a = await new_policy(root, "B"), await new_policy(root, "A")
    for user in users[:2]:
        await attach_user_policy(root, user_name=user.name, policy_arn=b.arn)
    await attach_user_policy(root, user_name="u0", policy_arn=a.arn)

    with counting_queries() as log:
        found = await attached_policies_for("user", [u.id for u in users])

    assert log.selects == 1
    assert {k: [p.name for p in v] for k, v in found.items()} == {
        users[0].id: ["A", "B"],
        users[1].id: ["B"],
        users[2].id: [],
    }


# --- roles -------------------------------------------------------------------------------------


async def new_role(root: Principal, name: str, path: str = "/") -> Role:
    return await create_role(
        root,
        role_name=name,
        path=path,
        assume_role_policy_document=trust_document(f"arn:aws:iam::{root.account_id}:root"),
    )


async def test_attach_list_and_detach_role_policy(
    root: Principal, succeeds: Succeeds, rejects: Rejects
) -> None:
    role = await new_role(root, "Cashier", "/shop/")
    policy = await new_policy(root, "OpenTill")

    attached = await succeeds(
        attach_role_policy(root, role_name="cashier", policy_arn=policy.arn),
        actor=root,
        action="iam:AttachRolePolicy",
        resource=role.arn,
    )
    assert attached.attachment_count == 1
    page = await list_attached_role_policies(root, "Cashier")
    assert [p.arn for p in page.items] == [policy.arn]

    await succeeds(
        detach_role_policy(root, role_name="Cashier", policy_arn=policy.arn),
        actor=root,
        action="iam:DetachRolePolicy",
        resource=role.arn,
    )
    assert await stored_count(policy) == 0
    await rejects(
        detach_role_policy(root, role_name="Cashier", policy_arn=policy.arn),
        NoSuchEntity,
        f"Policy {policy.arn} was not found.",
        action="iam:DetachRolePolicy",
    )


async def test_attach_to_a_role_that_does_not_exist(root: Principal, rejects: Rejects) -> None:
    policy = await new_policy(root, "OpenTill")
    await rejects(
        attach_role_policy(root, role_name="ghost", policy_arn=policy.arn),
        NoSuchEntity,
        "The role with name ghost cannot be found.",
        action="iam:AttachRolePolicy",
    )
    await rejects(
        attach_role_policy(root, role_name="r" * 65, policy_arn=policy.arn),
        ValidationError,
        f"1 validation error detected: Value '{'r' * 65}' at 'roleName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64",
        action="iam:AttachRolePolicy",
    )


async def test_list_entities_for_policy_includes_roles(
    root: Principal, other_root: Principal
) -> None:
    await ensure_builtin_policies()
    await create_user(root, user_name="amy")
    await attach_user_policy(root, user_name="amy", policy_arn=ADMIN)
    for name, path in [("Zed", "/"), ("Ops", "/ops/")]:
        await new_role(root, name, path)
        await attach_role_policy(root, role_name=name, policy_arn=ADMIN)
    await new_role(other_root, "Stranger")
    await attach_role_policy(other_root, role_name="Stranger", policy_arn=ADMIN)

    everything = await list_entities_for_policy(root, ADMIN)
    roles_only = await list_entities_for_policy(root, ADMIN, entity_filter="Role")
    under_ops = await list_entities_for_policy(root, ADMIN, path_prefix="/ops/")

    assert [r.name for r in everything.roles] == ["Ops", "Zed"]
    assert ([u.name for u in everything.users], everything.groups) == (["amy"], [])
    assert (roles_only.users, [r.name for r in roles_only.roles]) == ([], ["Ops", "Zed"])
    assert [r.name for r in under_ops.roles] == ["Ops"]
    # The AWS-managed policy's count is this account's: one user and two roles.
    assert (await get_policy(root, ADMIN)).attachment_count == 3


async def test_attached_policies_for_roles_in_one_query(root: Principal) -> None:
    roles = [await new_role(root, f"r{i}") for i in range(2)]
    policy = await new_policy(root, "A")
    await attach_role_policy(root, role_name="r1", policy_arn=policy.arn)

    with counting_queries() as log:
        found = await attached_policies_for("role", [r.id for r in roles])

    assert log.selects == 1
    assert {k: [p.name for p in v] for k, v in found.items()} == {
        roles[0].id: [],
        roles[1].id: ["A"],
    }
