"""GetAccountAuthorizationDetails (gateway/services/authorization_details.py)."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidInput, ValidationError
from gateway.services.attachments import (
    attach_group_policy,
    attach_role_policy,
    attach_user_policy,
)
from gateway.services.authorization_details import (
    AuthorizationDetails,
    get_account_authorization_details,
)
from gateway.services.boundaries import (
    put_role_permissions_boundary,
    put_user_permissions_boundary,
)
from gateway.services.builtin import ensure_builtin_policies
from gateway.services.groups import add_user_to_group, create_group
from gateway.services.inline_policies import put_group_policy, put_role_policy, put_user_policy
from gateway.services.policies import create_policy
from gateway.services.policy_versions import create_policy_version
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.services.policy_fixtures import counting_queries, document, trust_document

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


async def coffee_shop(root: Principal, cashiers: int = 2) -> None:
    await ensure_builtin_policies()
    await create_user(root, user_name="admin")
    await attach_user_policy(root, user_name="admin", policy_arn=ADMIN)
    await put_user_permissions_boundary(root, user_name="admin", permissions_boundary=READ_ONLY)
    await create_group(root, group_name="Cashiers")
    listing = await create_policy(
        root, policy_name="ListBucket", policy_document=document("s3:ListBucket")
    )
    await create_policy_version(root, listing.arn, policy_document=document("s3:List*"))
    await attach_group_policy(root, group_name="Cashiers", policy_arn=listing.arn)
    await put_group_policy(
        root, group_name="Cashiers", policy_name="Till", policy_document=document("till:Open")
    )
    for i in range(cashiers):
        await create_user(root, user_name=f"cashier{i}")
        await add_user_to_group(root, group_name="Cashiers", user_name=f"cashier{i}")
    await put_user_policy(
        root, user_name="cashier0", policy_name="Own", policy_document=document("s3:GetObject")
    )
    await create_policy(root, policy_name="Unused", policy_document=document("sqs:*"))
    await create_role(
        root, role_name="Inventory", assume_role_policy_document=trust_document(root.account_id)
    )
    await attach_role_policy(root, role_name="Inventory", policy_arn=listing.arn)
    await put_role_policy(
        root, role_name="Inventory", policy_name="Count", policy_document=document("stock:Count")
    )
    await put_role_permissions_boundary(root, role_name="Inventory", permissions_boundary=READ_ONLY)


async def test_the_whole_account_in_aws_shape(root: Principal, other_root: Principal) -> None:
    await coffee_shop(root)
    await create_user(other_root, user_name="stranger")
    await attach_user_policy(other_root, user_name="stranger", policy_arn=READ_ONLY)

    details = await get_account_authorization_details(root)

    users = {d.user.name: d for d in details.users}
    assert list(users) == ["admin", "cashier0", "cashier1"]
    assert [p.arn for p in users["admin"].attached_policies] == [ADMIN]
    assert users["admin"].permissions_boundary_arn == READ_ONLY
    assert users["cashier0"].group_names == ("Cashiers",)
    assert [p.name for p in users["cashier0"].inline_policies] == ["Own"]
    assert users["cashier1"].permissions_boundary_arn is None
    [group] = details.groups
    assert [p.name for p in group.attached_policies] == ["ListBucket"]
    assert [p.name for p in group.inline_policies] == ["Till"]
    policies = {d.policy.name: d for d in details.policies}
    # Local policies all; AWS-managed ones only when this account uses them.
    assert sorted(policies) == ["AdministratorAccess", "ListBucket", "ReadOnlyAccess", "Unused"]
    assert [v.version_id for v in policies["ListBucket"].versions] == ["v2", "v1"]
    [role] = details.roles
    assert role.role.name == "Inventory"
    assert role.role.assume_role_policy == trust_document(root.account_id)
    assert [p.name for p in role.attached_policies] == ["ListBucket"]
    assert [p.name for p in role.inline_policies] == ["Count"]
    assert role.permissions_boundary_arn == READ_ONLY
    assert policies["ReadOnlyAccess"].policy.boundary_usage_count == 2  # admin and Inventory
    assert policies["ReadOnlyAccess"].policy.attachment_count == 0  # the stranger's is not ours


async def test_filter_narrows_the_answer(root: Principal) -> None:
    await coffee_shop(root)

    only_local = await get_account_authorization_details(root, filter=["LocalManagedPolicy"])
    users_and_aws = await get_account_authorization_details(
        root, filter=["User", "AWSManagedPolicy"]
    )

    assert (only_local.users, only_local.groups, only_local.roles) == ((), (), ())
    assert sorted(d.policy.name for d in only_local.policies) == ["ListBucket", "Unused"]
    assert len(users_and_aws.users) == 3
    assert (users_and_aws.groups, users_and_aws.roles) == ((), ())
    only_roles = await get_account_authorization_details(root, filter=["Role"])
    assert [r.role.name for r in only_roles.roles] == ["Inventory"]
    assert (only_roles.users, only_roles.policies) == ((), ())
    assert sorted(d.policy.name for d in users_and_aws.policies) == [
        "AdministratorAccess",
        "ReadOnlyAccess",
    ]


async def test_an_unknown_filter_is_rejected(root: Principal) -> None:
    with pytest.raises(ValidationError) as raised:
        await get_account_authorization_details(root, filter=["Everything"])
    assert raised.value.message == (
        "1 validation error detected: Value 'Everything' at 'filter' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"
    )


async def test_an_empty_account(root: Principal) -> None:
    details = await get_account_authorization_details(root)
    assert (details.users, details.groups, details.roles, details.policies) == ((), (), (), ())


@pytest.mark.parametrize("cashiers", [1, 6])
async def test_the_query_count_does_not_grow_with_the_account(
    root: Principal, cashiers: int
) -> None:
    await coffee_shop(root, cashiers)

    with counting_queries() as log:
        details = await get_account_authorization_details(root)

    assert len(details.users) == 1 + cashiers
    assert log.selects == 11


def _names(details: AuthorizationDetails) -> list[str]:
    return (
        [d.user.name for d in details.users]
        + [d.group.name for d in details.groups]
        + [d.role.name for d in details.roles]
        + [d.policy.arn for d in details.policies]
    )


@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
async def test_pages_of_any_size_put_together_are_the_whole_answer(
    root: Principal, size: int
) -> None:
    await coffee_shop(root, cashiers=4)
    whole = await get_account_authorization_details(root, first=1000)
    assert not whole.has_next

    seen: list[str] = []
    after = None
    for _ in range(100):
        page = await get_account_authorization_details(root, first=size, after=after)
        assert len(_names(page)) <= size
        seen += _names(page)
        if not page.has_next:
            break
        assert page.end_cursor is not None
        after = page.end_cursor
    assert seen == _names(whole)
    users = {d.user.name: d for d in whole.users}
    assert users["cashier1"].group_names == ("Cashiers",)
    assert [p.name for p in users["admin"].attached_policies] == ["AdministratorAccess"]


async def test_a_page_costs_a_fixed_number_of_queries(root: Principal) -> None:
    await coffee_shop(root, cashiers=30)
    with counting_queries() as log:
        page = await get_account_authorization_details(root, first=10)
    assert len(page.users) == 10
    assert page.has_next
    assert log.selects <= 14


async def test_paging_respects_the_filter(root: Principal) -> None:
    await coffee_shop(root, cashiers=3)
    first = await get_account_authorization_details(root, filter=["Role", "Group"], first=1)
    assert ([d.group.name for d in first.groups], first.roles, first.users) == (
        ["Cashiers"],
        (),
        (),
    )
    second = await get_account_authorization_details(
        root, filter=["Role", "Group"], first=1, after=first.end_cursor
    )
    assert [d.role.name for d in second.roles] == ["Inventory"]
    assert not second.has_next


@pytest.mark.parametrize("cursor", ["nonsense!", "OTpmb28=", "Zm9v"])
async def test_a_cursor_it_did_not_issue_is_invalid_input(root: Principal, cursor: str) -> None:
    with pytest.raises(InvalidInput):
        await get_account_authorization_details(root, after=cursor)


@pytest.mark.parametrize("first", [0, 1001])
async def test_page_size_is_awss_max_items(root: Principal, first: int) -> None:
    with pytest.raises(InvalidInput):
        await get_account_authorization_details(root, first=first)
