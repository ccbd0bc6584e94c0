"""The stored entities a request names: found in any case in the caller's account only, and
pinned so that an operation never acts on another entity than the one authorized."""

from __future__ import annotations

import pytest

from gateway.errors import ConcurrentModification, NoSuchEntity
from gateway.models import LoginProfile
from gateway.services import targets
from gateway.services.groups import create_group
from gateway.services.login_profiles import create_login_profile, update_login_profile
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.targets import Kind, by_arn, by_name, pinned
from gateway.services.users import create_user, delete_user, tag_user
from tests.helpers import GOOD_PASSWORD, snapshot
from tests.services.helpers import make_policy

TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
    '"Action":"sts:AssumeRole"}]}'
)


async def test_names_find_the_stored_entity_in_any_case(root: Principal) -> None:
    await create_user(root, user_name="Alice", path="/staff/")
    await create_group(root, group_name="Baristas", path="/floor/")
    await create_role(root, role_name="Cashier", assume_role_policy_document=TRUST, path="/shop/")

    users = await targets.find_named(root.account_id, Kind.USER, ["ALICE", "nobody"])
    assert list(users) == ["alice"]
    assert (users["alice"].name, users["alice"].path) == ("Alice", "/staff/")
    assert users["alice"].arn == f"arn:aws:iam::{root.account_id}:user/staff/Alice"
    groups = await targets.find_named(root.account_id, Kind.GROUP, ["baristas"])
    assert groups["baristas"].arn.endswith(":group/floor/Baristas")
    roles = await targets.find_named(root.account_id, Kind.ROLE, ["cAsHiEr"])
    assert roles["cashier"].arn.endswith(":role/shop/Cashier")
    assert await targets.find_named(root.account_id, Kind.ROLE, ["alice"]) == {}


async def test_another_accounts_entities_are_never_found(
    root: Principal, other_root: Principal
) -> None:
    theirs = await create_user(other_root, user_name="admin")
    policy = await make_policy(other_root.account_id, "Theirs")
    assert await targets.find_named(root.account_id, Kind.USER, ["admin"]) == {}
    assert await targets.find_by_arn(root.account_id, Kind.USER, [theirs.arn]) == {}
    assert await targets.find_by_arn(root.account_id, Kind.POLICY, [policy.arn]) == {}
    assert targets.kind_of_arn(theirs.arn, root.account_id) is None
    assert targets.kind_of_arn(theirs.arn, other_root.account_id) is Kind.USER


async def test_arns_are_exact_and_aws_managed_policies_are_everyones(root: Principal) -> None:
    managed = await make_policy(None, "AdministratorAccess")
    own = await make_policy(root.account_id, "Mine")
    found = await targets.find_by_arn(
        root.account_id, Kind.POLICY, [managed.arn, own.arn, own.arn.upper()]
    )
    assert set(found) == {managed.arn, own.arn}
    assert targets.kind_of_arn(managed.arn, root.account_id) is Kind.POLICY


@pytest.mark.parametrize(
    "name",
    ["a" * 65, "a b", "'; DROP TABLE users; --", "nul\x00byte", "ünïcode", "x" * 100_000],
)
async def test_a_name_no_entity_can_have_finds_nothing_without_a_query_error(
    root: Principal, name: str
) -> None:
    assert await targets.find_named(root.account_id, Kind.USER, [name]) == {}
    assert await targets.stored(Kind.USER, root.account_id, name) is None
    assert await targets.find_by_arn(root.account_id, Kind.USER, [name]) == {}


async def test_an_entity_replaced_after_authorization_is_not_acted_on(root: Principal) -> None:
    # Authorized on the "admin" that existed then; by the time the operation runs, that
    # user is gone and another "admin" stands in its place (deleted and created again).
    admin = await create_user(root, user_name="admin")
    authorized = (await targets.find_named(root.account_id, Kind.USER, ["admin"]))["admin"]
    await delete_user(root, "admin")
    await create_user(root, user_name="ADMIN", path="/priv/")
    await create_login_profile(root, "admin", password=GOOD_PASSWORD)
    before = await snapshot()
    with (
        pinned({by_name(Kind.USER, "admin"): authorized}),
        pytest.raises(
            ConcurrentModification, match="changed while the request was being authorized"
        ),
    ):
        await update_login_profile(root, "admin", password="Stolen-Passw0rd!")
    assert await snapshot() == before
    assert admin.id == authorized.id


async def test_an_entity_created_after_an_authorization_that_found_none_is_not_acted_on(
    root: Principal,
) -> None:
    with pinned({by_name(Kind.USER, "admin"): None}):
        assert await targets.stored(Kind.USER, root.account_id, "ghost") is None
    await create_user(root, user_name="admin")
    with pinned({by_name(Kind.USER, "admin"): None}), pytest.raises(ConcurrentModification):
        await tag_user(root, "Admin", {"k": "v"})
    with pinned({by_name(Kind.USER, "ghost"): None}), pytest.raises(NoSuchEntity):
        await tag_user(root, "ghost", {"k": "v"})


async def test_the_entity_that_was_authorized_is_acted_on(root: Principal) -> None:
    await create_user(root, user_name="admin")
    await create_login_profile(root, "admin", password=GOOD_PASSWORD)
    authorized = (await targets.find_named(root.account_id, Kind.USER, ["ADMIN"]))["admin"]
    pins = targets.pin_keys([(by_name(Kind.USER, "ADMIN"), authorized)])
    assert by_arn(Kind.USER, authorized.arn) in pins
    with pinned(pins):
        await update_login_profile(root, "admin", password_reset_required=True)
    profile = await LoginProfile.get(user_id=authorized.id)
    assert profile.password_reset_required
