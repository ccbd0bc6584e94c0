"""The policies in force for a user or a role (gateway/services/effective.py)."""

from __future__ import annotations

import pytest

from gateway.errors import NoSuchEntity
from gateway.models import Role, User
from gateway.policy import Request, evaluate
from gateway.services.attachments import (
    attach_group_policy,
    attach_role_policy,
    attach_user_policy,
)
from gateway.services.boundaries import (
    put_role_permissions_boundary,
    put_user_permissions_boundary,
)
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.effective import account_policies, identity_policies, role_policies
from gateway.services.groups import add_user_to_group, create_group
from gateway.services.inline_policies import put_group_policy, put_role_policy, put_user_policy
from gateway.services.policies import create_policy
from gateway.services.policy_versions import create_policy_version
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.services.policy_fixtures import counting_queries, document, trust_document

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"


def request(user: User, action: str, resource: str = BUCKET) -> Request:
    principal = {"arn": user.arn, "type": "User", "userid": user.id, "account": user.account_id}
    return Request(action=action, resource=resource, principal=principal, context={})


async def build_user_in_groups(root: Principal, groups: int) -> User:
    """alice: one attached and one inline policy of her own, and per group the same."""
    user = await create_user(root, user_name="alice")
    own = await create_policy(root, policy_name="Own", policy_document=document("s3:GetObject"))
    await attach_user_policy(root, user_name="alice", policy_arn=own.arn)
    await put_user_policy(
        root, user_name="alice", policy_name="Mine", policy_document=document("s3:PutObject")
    )
    for i in range(groups):
        name = f"G{i}"
        await create_group(root, group_name=name)
        await add_user_to_group(root, group_name=name, user_name="alice")
        policy = await create_policy(
            root, policy_name=f"P{i}", policy_document=document(f"s3:Action{i}")
        )
        await attach_group_policy(root, group_name=name, policy_arn=policy.arn)
        await put_group_policy(
            root, group_name=name, policy_name="Inline", policy_document=document(f"sqs:A{i}")
        )
    return user


async def test_a_user_in_two_groups_gets_every_policy_labelled(root: Principal) -> None:
    user = await build_user_in_groups(root, 2)
    account = root.account_id
    shared = f"arn:aws:iam::{account}:policy/Own"
    await attach_group_policy(root, group_name="G1", policy_arn=shared)  # listed once only
    boundary = await create_policy(root, policy_name="Cap", policy_document=document("s3:*"))
    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=boundary.arn)

    effective = await identity_policies(account, user.id)

    assert [p.label for p in effective.identity] == [
        f"arn:aws:iam::{account}:policy/Own",
        f"arn:aws:iam::{account}:user/alice:inline/Mine",
        f"arn:aws:iam::{account}:policy/P0",
        f"arn:aws:iam::{account}:group/G0:inline/Inline",
        f"arn:aws:iam::{account}:policy/P1",
        f"arn:aws:iam::{account}:group/G1:inline/Inline",
    ]
    assert effective.boundary is not None
    assert effective.boundary.label == boundary.arn

    def decide(action: str) -> str:
        identity, cap = list(effective.identity), effective.boundary
        return str(evaluate(request(user, action), identity=identity, boundary=cap).effect)

    assert decide("s3:Action1") == "Allow"
    assert decide("sqs:A0") == "ImplicitDeny"  # allowed, but outside the boundary


async def test_only_default_versions_are_in_force(root: Principal) -> None:
    user = await create_user(root, user_name="alice")
    policy = await create_policy(root, policy_name="P", policy_document=document("s3:GetObject"))
    await create_policy_version(root, policy.arn, policy_document=document("s3:DeleteObject"))
    await attach_user_policy(root, user_name="alice", policy_arn=policy.arn)

    [only] = (await identity_policies(root.account_id, user.id)).identity

    assert [s.actions for s in only.statements] == [("s3:GetObject",)]


async def test_a_user_without_policies_has_none(root: Principal) -> None:
    user = await create_user(root, user_name="alice")
    effective = await identity_policies(root.account_id, user.id)
    assert (effective.identity, effective.boundary) == ((), None)


async def test_aws_managed_boundary(root: Principal) -> None:
    await ensure_builtin_policies()
    user = await create_user(root, user_name="alice")
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=read_only)

    effective = await identity_policies(root.account_id, user.id)

    assert effective.boundary is not None
    assert effective.boundary.label == read_only


async def test_an_unknown_user_or_another_accounts_user(
    root: Principal, other_root: Principal
) -> None:
    user = await create_user(other_root, user_name="alice")
    with pytest.raises(NoSuchEntity):
        await identity_policies(root.account_id, user.id)


async def test_unchanged_documents_are_parsed_once(root: Principal) -> None:
    user = await build_user_in_groups(root, 1)
    first = await identity_policies(root.account_id, user.id)
    second = await identity_policies(root.account_id, user.id)
    assert all(a is b for a, b in zip(first.identity, second.identity, strict=True))


@pytest.mark.parametrize("groups", [1, 5])
async def test_the_query_count_does_not_grow_with_groups(root: Principal, groups: int) -> None:
    user = await build_user_in_groups(root, groups)
    boundary = await create_policy(root, policy_name="Cap", policy_document=document("s3:*"))
    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=boundary.arn)

    with counting_queries() as log:
        effective = await identity_policies(root.account_id, user.id)

    assert len(effective.identity) == 2 + 2 * groups
    assert log.selects == 5
    assert len(log.statements) == 5


# -- roles ----------------------------------------------------------------------------------------


async def build_role(root: Principal, policies: int) -> Role:
    """Cashier: `policies` attached policies, one inline policy, a boundary; trusted by root."""
    role = await create_role(
        root,
        role_name="Cashier",
        assume_role_policy_document=trust_document(f"arn:aws:iam::{root.account_id}:root"),
    )
    for i in range(policies):
        policy = await create_policy(
            root, policy_name=f"R{i}", policy_document=document(f"till:Action{i}")
        )
        await attach_role_policy(root, role_name="Cashier", policy_arn=policy.arn)
    await put_role_policy(
        root, role_name="Cashier", policy_name="Drawer", policy_document=document("till:Open")
    )
    cap = await create_policy(root, policy_name="TillCap", policy_document=document("till:*"))
    await put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=cap.arn)
    return role


def role_request(role: Role, action: str) -> Request:
    principal = {
        "arn": role.arn,
        "type": "AssumedRole",
        "userid": role.id,
        "account": role.account_id,
    }
    return Request(action=action, resource=BUCKET, principal=principal, context={})


async def test_a_roles_policies_are_its_attached_and_inline_ones_under_its_boundary(
    root: Principal,
) -> None:
    role = await build_role(root, 2)
    # A user's policies never leak into the role's, nor the trust policy.
    await build_user_in_groups(root, 1)
    account = root.account_id

    effective = await role_policies(account, role.id)

    assert [p.label for p in effective.identity] == [
        f"arn:aws:iam::{account}:policy/R0",
        f"arn:aws:iam::{account}:policy/R1",
        f"arn:aws:iam::{account}:role/Cashier:inline/Drawer",
    ]
    assert effective.boundary is not None
    assert effective.boundary.label == f"arn:aws:iam::{account}:policy/TillCap"

    def decide(action: str) -> str:
        identity, cap = list(effective.identity), effective.boundary
        return str(evaluate(role_request(role, action), identity=identity, boundary=cap).effect)

    assert decide("till:Open") == "Allow"
    assert decide("till:Action1") == "Allow"
    assert decide("s3:GetObject") == "ImplicitDeny"  # alice's, not the role's


async def test_a_role_without_policies_has_none(root: Principal) -> None:
    role = await create_role(
        root,
        role_name="Empty",
        assume_role_policy_document=trust_document(f"arn:aws:iam::{root.account_id}:root"),
    )
    effective = await role_policies(root.account_id, role.id)
    assert (effective.identity, effective.boundary) == ((), None)


async def test_an_unknown_role_or_another_accounts_role(
    root: Principal, other_root: Principal
) -> None:
    role = await create_role(
        other_root,
        role_name="Theirs",
        assume_role_policy_document=trust_document(f"arn:aws:iam::{other_root.account_id}:root"),
    )
    with pytest.raises(NoSuchEntity) as raised:
        await role_policies(root.account_id, role.id)
    assert raised.value.message == f"The role with id {role.id} cannot be found."


@pytest.mark.parametrize("policies", [1, 8])
async def test_a_roles_query_count_does_not_grow_with_its_policies(
    root: Principal, policies: int
) -> None:
    role = await build_role(root, policies)

    with counting_queries() as log:
        effective = await role_policies(root.account_id, role.id)

    assert len(effective.identity) == policies + 1
    assert log.selects == 4
    assert len(log.statements) == 4


async def test_account_policies_read_together_equal_each_identitys_own(root: Principal) -> None:
    await build_user_in_groups(root, groups=3)
    await create_user(root, user_name="bob")
    await add_user_to_group(root, group_name="G1", user_name="bob")
    await create_role(
        root, role_name="Till", assume_role_policy_document=trust_document(root.account_id)
    )
    await put_role_policy(
        root, role_name="Till", policy_name="Drawer", policy_document=document("pos:Open")
    )
    with counting_queries() as log:
        together = await account_policies(root.account_id)
    assert len(log.statements) <= 8

    for user in await User.filter(account_id=root.account_id):
        assert (
            together.users[user.id] == (await identity_policies(root.account_id, user.id)).identity
        )
    for role in await Role.filter(account_id=root.account_id):
        assert together.roles[role.id] == (await role_policies(root.account_id, role.id)).identity
    assert len(together.users) == 2
