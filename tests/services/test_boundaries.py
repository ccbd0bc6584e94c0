"""Users' and roles' permissions boundaries (gateway/services/boundaries.py)."""

from __future__ import annotations

from gateway.errors import DeleteConflict, NoSuchEntity
from gateway.models import ManagedPolicy, Role, User
from gateway.services.boundaries import (
    delete_role_permissions_boundary,
    delete_user_permissions_boundary,
    put_role_permissions_boundary,
    put_user_permissions_boundary,
)
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.policies import create_policy, delete_policy, get_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.services.helpers import Rejects, Succeeds
from tests.services.policy_fixtures import document, trust_document

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


async def usage(policy_id: str) -> int:
    return (await ManagedPolicy.get(id=policy_id)).boundary_usage_count


async def test_put_and_replace_and_delete_a_boundary(root: Principal, succeeds: Succeeds) -> None:
    user = await create_user(root, user_name="alice")
    first = await create_policy(root, policy_name="B1", policy_document=document("s3:*"))
    second = await create_policy(root, policy_name="B2", policy_document=document("iam:*"))

    updated = await succeeds(
        put_user_permissions_boundary(root, user_name="alice", permissions_boundary=first.arn),
        actor=root,
        action="iam:PutUserPermissionsBoundary",
        resource=user.arn,
    )
    assert updated.permissions_boundary_id == first.id
    assert await usage(first.id) == 1

    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=second.arn)
    assert (await usage(first.id), await usage(second.id)) == (0, 1)

    cleared = await succeeds(
        delete_user_permissions_boundary(root, user_name="alice"),
        actor=root,
        action="iam:DeleteUserPermissionsBoundary",
        resource=user.arn,
    )
    assert cleared.permissions_boundary_id is None
    assert (await User.get(id=user.id)).permissions_boundary_id is None
    assert await usage(second.id) == 0


async def test_putting_the_same_boundary_again_changes_nothing(root: Principal) -> None:
    await create_user(root, user_name="alice")
    policy = await create_policy(root, policy_name="B", policy_document=document("s3:*"))

    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=policy.arn)
    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=policy.arn)

    assert await usage(policy.id) == 1


async def test_deleting_a_boundary_the_user_does_not_have_succeeds(
    root: Principal, succeeds: Succeeds
) -> None:
    await create_user(root, user_name="alice")
    user = await succeeds(
        delete_user_permissions_boundary(root, user_name="alice"),
        actor=root,
        action="iam:DeleteUserPermissionsBoundary",
        resource=None,
    )
    assert user.permissions_boundary_id is None


async def test_an_aws_managed_policy_can_be_a_boundary(
    root: Principal, other_root: Principal
) -> None:
    await ensure_builtin_policies()
    await create_user(root, user_name="alice")

    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=READ_ONLY)

    assert (await get_policy(root, READ_ONLY)).boundary_usage_count == 1
    assert (await get_policy(other_root, READ_ONLY)).boundary_usage_count == 0


async def test_boundary_must_name_an_existing_policy(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")
    arn = f"arn:aws:iam::{root.account_id}:policy/Nope"

    await rejects(
        put_user_permissions_boundary(root, user_name="alice", permissions_boundary=arn),
        NoSuchEntity,
        f"Scope ARN: {arn} does not exist or is not attachable.",
        action="iam:PutUserPermissionsBoundary",
    )


async def test_boundary_of_a_missing_user(root: Principal, rejects: Rejects) -> None:
    policy = await create_policy(root, policy_name="B", policy_document=document("s3:*"))
    await rejects(
        put_user_permissions_boundary(root, user_name="ghost", permissions_boundary=policy.arn),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:PutUserPermissionsBoundary",
    )
    await rejects(
        delete_user_permissions_boundary(root, user_name="ghost"),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:DeleteUserPermissionsBoundary",
    )


async def test_a_policy_in_use_as_a_boundary_cannot_be_deleted(
    root: Principal, rejects: Rejects
) -> None:
    await create_user(root, user_name="alice")
    policy = await create_policy(root, policy_name="B", policy_document=document("s3:*"))
    await put_user_permissions_boundary(root, user_name="alice", permissions_boundary=policy.arn)

    await rejects(
        delete_policy(root, policy.arn),
        DeleteConflict,
        "Cannot delete a policy attached to entities.",
        action="iam:DeletePolicy",
    )


# -- roles ----------------------------------------------------------------------------------------


async def new_role(root: Principal, name: str) -> Role:
    return await create_role(
        root,
        role_name=name,
        assume_role_policy_document=trust_document(f"arn:aws:iam::{root.account_id}:root"),
    )


async def test_put_replace_and_delete_a_role_boundary(root: Principal, succeeds: Succeeds) -> None:
    role = await new_role(root, "Cashier")
    first = await create_policy(root, policy_name="B1", policy_document=document("s3:*"))
    second = await create_policy(root, policy_name="B2", policy_document=document("iam:*"))

    updated = await succeeds(
        put_role_permissions_boundary(root, role_name="cashier", permissions_boundary=first.arn),
        actor=root,
        action="iam:PutRolePermissionsBoundary",
        resource=role.arn,
    )
    assert updated.permissions_boundary_id == first.id
    await put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=second.arn)
    assert (await usage(first.id), await usage(second.id)) == (0, 1)

    cleared = await succeeds(
        delete_role_permissions_boundary(root, role_name="Cashier"),
        actor=root,
        action="iam:DeleteRolePermissionsBoundary",
        resource=role.arn,
    )
    assert cleared.permissions_boundary_id is None
    assert (await Role.get(id=role.id)).permissions_boundary_id is None
    assert await usage(second.id) == 0


async def test_role_boundary_errors(root: Principal, rejects: Rejects) -> None:
    await new_role(root, "Cashier")
    missing = f"arn:aws:iam::{root.account_id}:policy/Missing"
    await rejects(
        put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=missing),
        NoSuchEntity,
        f"Scope ARN: {missing} does not exist or is not attachable.",
        action="iam:PutRolePermissionsBoundary",
    )
    await rejects(
        delete_role_permissions_boundary(root, role_name="ghost"),
        NoSuchEntity,
        "The role with name ghost cannot be found.",
        action="iam:DeleteRolePermissionsBoundary",
    )


async def test_a_policy_bounding_a_role_cannot_be_deleted_and_counts_per_account(
    root: Principal, other_root: Principal, rejects: Rejects
) -> None:
    await ensure_builtin_policies()
    policy = await create_policy(root, policy_name="B", policy_document=document("s3:*"))
    await new_role(root, "Cashier")
    await put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=policy.arn)
    await rejects(
        delete_policy(root, policy.arn),
        DeleteConflict,
        "Cannot delete a policy attached to entities.",
        action="iam:DeletePolicy",
    )
    await new_role(other_root, "Theirs")
    await put_role_permissions_boundary(
        other_root, role_name="Theirs", permissions_boundary=READ_ONLY
    )
    await put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=READ_ONLY)
    assert (await get_policy(root, READ_ONLY)).boundary_usage_count == 1
