"""Fixtures for the service tests: a bootstrapped account, its root principal, a user, and
fixtures that check what a write leaves behind (rows, audit events, authorization generation).
The helpers they use are modules of their own: `tests/services/helpers.py`,
`tests/helpers.py` (snapshot, credentials) and `tests/mfa.py` (authenticator apps, keys).

    async def test_x(db, root, rejects):
        await rejects(create_user(root, user_name="a b"), ValidationError, "1 validation …",
                      action="iam:CreateUser")

`rejects` awaits the call, checks the error's class and exact message, that no row of any
table changed, and that a Failed audit event with the error's code was written. `snapshot()`
is the row-by-row picture it compares.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from tortoise.context import TortoiseContext

from gateway.errors import GatewayError
from gateway.models import (
    AuditEvent,
    User,
)
from gateway.services.accounts import bootstrap_account
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.helpers import (  # noqa: F401  (re-exported)
    GOOD_PASSWORD,
    ROOT_EMAIL,
    ROOT_PASSWORD,
    Snapshot,
    principal_for_root,
    principal_for_user,
    snapshot,
)
from tests.mfa import (  # noqa: F401  (re-exported)
    RELYING_PARTY,
    Authenticator,
    enroll,
    register_key,
)
from tests.services.helpers import (  # noqa: F401  (re-exported)
    Activity,
    Rejects,
    Succeeds,
    attach,
    embed,
    generation,
    last_event,
    make_policy,
    policy_generation,
)


@pytest.fixture
async def other_root(db: TortoiseContext) -> Principal:
    """The root user of a second account, for isolation tests."""
    created, _ = await bootstrap_account(email="other@example.com", password=ROOT_PASSWORD)
    return principal_for_root(created.id)


@pytest.fixture
def crowd(db: TortoiseContext, database_url: str) -> Callable[[int], Awaitable[Principal]]:
    """`await crowd(n)`: the root user of a new account of `n` users, seeded straight into
    the tables as the least-privilege benchmark seeds its accounts (groups, policies, keys,
    MFA devices, access activity): through the services, thousands would take minutes."""
    # Imported by name: mypy checks bench/ as top-level scripts, and a static import would
    # give it the same file under two module names.
    seed = importlib.import_module("bench.least_privilege").seed

    async def crowded(users: int) -> Principal:
        seeded = await seed(database_url, users, random.Random(7))
        return principal_for_root(seeded["account"])

    return crowded


@pytest.fixture
async def admin_user(root: Principal) -> User:
    """A user named "admin" in `account`."""
    return await create_user(root, user_name="admin")


@pytest.fixture
def admin(admin_user: User) -> Principal:
    """`admin_user` as an acting principal."""
    return principal_for_user(admin_user)


@pytest.fixture
def rejects(db: TortoiseContext) -> Rejects:
    """Await a failing write and check it failed cleanly; returns the error."""

    async def check(
        call: Coroutine[Any, Any, Any],
        error_type: type[GatewayError],
        message: str,
        *,
        action: str,
    ) -> GatewayError:
        try:
            before = await snapshot()
            events_before = await AuditEvent.filter(action=action, outcome="Failed").count()
        except BaseException:
            call.close()
            raise
        with pytest.raises(error_type) as raised:
            await call
        assert raised.value.message == message
        assert raised.value.code == error_type.code
        assert await snapshot() == before, "a failed write changed the database"
        failed = AuditEvent.filter(action=action, outcome="Failed")
        assert await failed.count() == events_before + 1
        event = await last_event(action)
        assert event.outcome == "Failed"
        assert event.error_code == error_type.code
        return raised.value

    return check


@pytest.fixture
def succeeds(db: TortoiseContext) -> Succeeds:
    """Await a write and check it wrote one Allowed audit event by `actor` and bumped the
    account's authorization generation by one (left it alone with `bumps=False`, for writes
    that change no permission), and its policy generation likewise (`policies`, default
    `bumps`; False for writes that change no principal's policies, such as tags); returns the
    call's result."""

    async def check(
        call: Coroutine[Any, Any, Any],
        *,
        actor: Principal,
        action: str,
        resource: str | None,
        bumps: bool = True,
        policies: bool | None = None,
    ) -> Any:
        try:
            before = await generation(actor.account_id)
            policies_before = await policy_generation(actor.account_id)
            allowed_before = await AuditEvent.filter(action=action, outcome="Allowed").count()
        except BaseException:
            call.close()
            raise
        result = await call
        assert await AuditEvent.filter(action=action, outcome="Allowed").count() == (
            allowed_before + 1
        )
        event = await last_event(action)
        assert event.outcome == "Allowed"
        assert event.principal_arn == actor.arn
        assert event.account_id == actor.account_id
        if resource is not None:
            assert event.resource == resource
        assert await generation(actor.account_id) == before + int(bumps)
        bumps_policies = bumps if policies is None else policies
        assert await policy_generation(actor.account_id) == policies_before + int(bumps_policies)
        return result

    return check


@pytest.fixture
def activity(db: TortoiseContext) -> Activity:
    """Access activity to record for the test's principals."""
    return Activity()
