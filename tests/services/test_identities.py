"""What users, groups and roles share (gateway/services/identities.py), tested once over the
three kinds: names unique ignoring case, look-ups that keep the stored case, accounts that
never see each other, pages by name and case-sensitive path filters, managed-policy quotas.
Each kind's own rules stay in test_users.py, test_groups.py and test_roles.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from gateway.models import Group, Role, User
from gateway.services import attachments, identities
from gateway.services.groups import create_group, get_group, list_groups
from gateway.services.identities import Identity
from gateway.services.pagination import Page
from gateway.services.policies import create_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role, get_role, list_roles
from gateway.services.users import create_user, get_user, list_users
from tests.services.helpers import Rejects
from tests.services.policy_fixtures import document, trust_document

Entity = User | Group | Role


@dataclass(frozen=True)
class Kind:
    """One identity kind as the tests drive it."""

    identity: Identity[Any]
    create: Callable[[Principal, str, str], Awaitable[Entity]]  # actor, name, path
    get: Callable[[Principal, str], Awaitable[Entity]]
    list: Callable[..., Awaitable[Page[Any]]]
    attach: Callable[..., Awaitable[object]]


async def _user(root: Principal, name: str, path: str) -> Entity:
    return await create_user(root, user_name=name, path=path)


async def _group(root: Principal, name: str, path: str) -> Entity:
    return await create_group(root, group_name=name, path=path)


async def _role(root: Principal, name: str, path: str) -> Entity:
    trust = trust_document(f"arn:aws:iam::{root.account_id}:root")
    return await create_role(root, role_name=name, path=path, assume_role_policy_document=trust)


async def _attach_user(root: Principal, name: str, arn: str) -> object:
    return await attachments.attach_user_policy(root, user_name=name, policy_arn=arn)


async def _attach_group(root: Principal, name: str, arn: str) -> object:
    return await attachments.attach_group_policy(root, group_name=name, policy_arn=arn)


async def _attach_role(root: Principal, name: str, arn: str) -> object:
    return await attachments.attach_role_policy(root, role_name=name, policy_arn=arn)


KINDS = [
    pytest.param(Kind(identities.USER, _user, get_user, list_users, _attach_user), id="user"),
    pytest.param(Kind(identities.GROUP, _group, get_group, list_groups, _attach_group), id="group"),
    pytest.param(Kind(identities.ROLE, _role, get_role, list_roles, _attach_role), id="role"),
]


@pytest.mark.parametrize("kind", KINDS)
async def test_names_are_unique_ignoring_case(
    root: Principal, rejects: Rejects, kind: Kind
) -> None:
    await kind.create(root, "Cashier", "/")

    await rejects(
        kind.create(root, "CASHIER", "/other/"),
        EntityAlreadyExists,
        f"{kind.identity.title} with name CASHIER already exists.",
        action=f"iam:Create{kind.identity.title}",
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_a_look_up_ignores_case_and_answers_with_the_stored_case(
    root: Principal, kind: Kind
) -> None:
    created = await kind.create(root, "Cashier", "/shop/")

    found = await kind.get(root, "CASHIER")

    assert (found.id, found.name, found.path) == (created.id, "Cashier", "/shop/")
    assert found.arn == kind.identity.arn(root.account_id, "Cashier", "/shop/")
    with pytest.raises(NoSuchEntity) as raised:
        await kind.get(root, "Nobody")
    assert raised.value.message == f"The {kind.identity.label} with name Nobody cannot be found."


@pytest.mark.parametrize("kind", KINDS)
async def test_another_accounts_identities_are_invisible_and_their_names_free(
    root: Principal, other_root: Principal, kind: Kind
) -> None:
    await kind.create(root, "Cashier", "/")

    with pytest.raises(NoSuchEntity):
        await kind.get(other_root, "Cashier")
    assert (await kind.list(other_root)).items == []
    other = await kind.create(other_root, "cashier", "/")  # the same name, another account
    assert other.account_id == other_root.account_id


@pytest.mark.parametrize("kind", KINDS)
async def test_lists_page_by_name_ignoring_case_and_filter_by_path_with_case(
    root: Principal, kind: Kind
) -> None:
    for name, path in [("d", "/"), ("B", "/staff/"), ("a", "/staff/bar/"), ("C", "/Staff/")]:
        await kind.create(root, name, path)
    await kind.create(root, "e", "/")

    first = await kind.list(root, first=2)
    second = await kind.list(root, first=2, after=first.end_cursor)
    third = await kind.list(root, first=2, after=second.end_cursor)
    staff = await kind.list(root, path_prefix="/staff/")

    assert [e.name for e in first.items] == ["a", "B"]
    assert [e.name for e in second.items] == ["C", "d"]
    assert [e.name for e in third.items] == ["e"]
    assert (first.has_next, second.has_next, third.has_next) == (True, True, False)
    assert [e.name for e in staff.items] == ["a", "B"]
    with pytest.raises(InvalidInput):
        await kind.list(root, after="x")


@pytest.mark.parametrize("kind", KINDS)
async def test_an_identity_holds_at_most_10_managed_policies(
    root: Principal, rejects: Rejects, kind: Kind
) -> None:
    await kind.create(root, "Cashier", "/")
    allow = document("s3:ListBucket")
    arns = [
        (await create_policy(root, policy_name=f"P{i}", policy_document=allow)).arn
        for i in range(kind.identity.policy_quota + 1)
    ]
    for arn in arns[:-1]:
        await kind.attach(root, "Cashier", arn)

    title = kind.identity.title
    await rejects(
        kind.attach(root, "Cashier", arns[-1]),
        LimitExceeded,
        f"Cannot exceed quota for PoliciesPer{title}: 10",
        action=f"iam:Attach{title}Policy",
    )
    await kind.attach(root, "Cashier", arns[0])  # attached already: still fine at the quota


@pytest.mark.parametrize("kind", KINDS)
async def test_path_prefixes_compare_with_case_and_without_wildcards(
    root: Principal, kind: Kind
) -> None:
    for name, path in [
        ("top", "/"),
        ("eng1", "/eng/"),
        ("eng2", "/eng/backend/"),
        ("upper", "/Eng/"),
        ("engineering", "/engineering/"),
        ("pct", "/e%g/"),
    ]:
        await kind.create(root, name, path)

    async def names(prefix: str) -> list[str]:
        return [e.name for e in (await kind.list(root, path_prefix=prefix)).items]

    assert await names("/") == ["eng1", "eng2", "engineering", "pct", "top", "upper"]
    assert await names("/eng/") == ["eng1", "eng2"]
    assert await names("/eng") == ["eng1", "eng2", "engineering"]
    assert await names("/Eng/") == ["upper"]
    assert await names("/e%") == ["pct"]
    assert await names("/nothing/") == []
