"""Fixtures for the service tests: a bootstrapped account, its root principal, a user, and
helpers that check what a write leaves behind (rows, audit events, authorization generation).

    async def test_x(db, root, rejects):
        await rejects(create_user(root, user_name="a b"), ValidationError, "1 validation …",
                      action="iam:CreateUser")

`rejects` awaits the call, checks the error's class and exact message, that no row of any
table changed, and that a Failed audit event with the error's code was written. `snapshot()`
is the row-by-row picture it compares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

import pytest
from tortoise.context import TortoiseContext

from gateway import arns, clock
from gateway.errors import GatewayError
from gateway.ids import POLICY_PREFIX, new_unique_id
from gateway.models import (
    Account,
    AuditEvent,
    EntityKind,
    InlinePolicy,
    ManagedPolicy,
    PolicyAttachment,
    SecurityKey,
    User,
)
from gateway.policy import Decision, Effect
from gateway.services.access_activity import ActivityRecorder
from gateway.services.accounts import bootstrap_account
from gateway.services.mfa_devices import (
    code_at,
    create_virtual_mfa_device,
    current_step,
    enable_mfa_device,
)
from gateway.services.principal import Principal
from gateway.services.security_keys import (
    RelyingParty,
    begin_registration,
    complete_registration,
)
from gateway.services.seeds import SeedCipher
from gateway.services.users import create_user
from tests import security_key
from tests.conftest import (  # noqa: F401  (re-exported for the service tests)
    GOOD_PASSWORD,
    ROOT_EMAIL,
    ROOT_PASSWORD,
    principal_for_root,
    principal_for_user,
)
from tests.helpers import Snapshot, snapshot  # noqa: F401  (re-exported)
from tests.security_key import SoftKey

Rejects = Callable[..., Awaitable[GatewayError]]
Succeeds = Callable[..., Awaitable[Any]]


@pytest.fixture
async def other_root(db: TortoiseContext) -> Principal:
    """The root user of a second account, for isolation tests."""
    created, _ = await bootstrap_account(email="other@example.com", password=ROOT_PASSWORD)
    return principal_for_root(created.id)


@pytest.fixture
async def admin_user(root: Principal) -> User:
    """A user named "admin" in `account`."""
    return await create_user(root, user_name="admin")


@pytest.fixture
def admin(admin_user: User) -> Principal:
    """`admin_user` as an acting principal."""
    return principal_for_user(admin_user)


async def last_event(action: str) -> AuditEvent:
    """The most recent audit event for `action`."""
    event = await AuditEvent.filter(action=action).order_by("-id").first()
    assert event is not None, f"no audit event for {action}"
    return event


async def generation(account_id: str) -> int:
    """The account's authorization generation."""
    account = await Account.get(id=account_id)
    return int(account.authz_generation)


async def policy_generation(account_id: str) -> int:
    """The account's policy generation (what compiled policies are cached by)."""
    account = await Account.get(id=account_id)
    return int(account.policy_generation)


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


async def make_policy(account_id: str | None, name: str) -> ManagedPolicy:
    """A managed policy row (account-owned, or AWS-managed for None), straight in the table:
    the policy services are tested elsewhere."""
    arn = (
        arns.policy_arn(account_id, "/", name) if account_id else arns.aws_managed_policy_arn(name)
    )
    return await ManagedPolicy.create(
        id=new_unique_id(POLICY_PREFIX),
        account_id=account_id,
        name=name,
        name_lower=name.lower(),
        arn=arn,
    )


async def attach(policy: ManagedPolicy, kind: EntityKind, entity_id: str) -> None:
    """Attach `policy` to an identity, straight in the table."""
    await PolicyAttachment.create(policy=policy, entity_kind=kind.value, entity_id=entity_id)


async def embed(kind: EntityKind, entity_id: str, name: str = "inline") -> None:
    """Give an identity an inline policy, straight in the table."""
    await InlinePolicy.create(
        entity_kind=kind.value, entity_id=entity_id, name=name, document='{"Version":"2012-10-17"}'
    )


class Authenticator:
    """An authenticator app holding one virtual device's seed: the codes it would show."""

    def __init__(self, serial_number: str, seed: str) -> None:
        self.serial_number = serial_number
        self.seed = seed

    def code(self, steps: int = 0, at: datetime | None = None) -> str:
        """The code shown `steps` time steps from `at` (default: the gateway's now)."""
        return code_at(self.seed, current_step(at or clock.now()) + steps)

    def enabling_codes(self) -> tuple[str, str]:
        """The previous and the current step's codes, read at one instant (as EnableMFADevice
        wants them)."""
        now = clock.now()
        return self.code(-1, now), self.code(0, now)


async def enroll(
    actor: Principal, cipher: SeedCipher, user_name: str | None, name: str | None = None
) -> Authenticator:
    """Create a virtual device and enable it for `user_name` (the caller without one), as a
    user would: with the codes of the previous and the current time step."""
    created = await create_virtual_mfa_device(
        actor, name=name or user_name or "root-device", cipher=cipher
    )
    app = Authenticator(created.device.serial_number, created.seed)
    code_1, code_2 = app.enabling_codes()
    await enable_mfa_device(
        actor,
        user_name=user_name,
        serial_number=app.serial_number,
        authentication_code_1=code_1,
        authentication_code_2=code_2,
        cipher=cipher,
    )
    return app


RELYING_PARTY = RelyingParty(rp_id=security_key.RP_ID, origins=(security_key.ORIGIN,))
"""The relying party of `Settings()`: what the in-process tests' browser (SoftKey) talks to."""


async def register_key(
    actor: Principal,
    user_name: str | None,
    name: str = "yubikey",
    key: SoftKey | None = None,
) -> tuple[SoftKey, SecurityKey]:
    """Register a (new) software security key for `user_name` (the caller without one), as a
    browser would: begin, let the key answer the options, complete."""
    key = key or SoftKey()
    registration = await begin_registration(
        actor, user_name=user_name, name=name, relying_party=RELYING_PARTY
    )
    stored = await complete_registration(
        actor,
        user_name=user_name,
        registration_id=registration.id,
        credential=key.register(registration.options),
        relying_party=RELYING_PARTY,
    )
    return key, stored


class Activity:
    """Allowed decisions, recorded as the gateway records them (an ActivityRecorder, flushed
    at once), at chosen moments of the gateway's clock."""

    def __init__(self) -> None:
        self.recorder = ActivityRecorder()

    async def use(self, principal: Principal, *actions: str, at: datetime | None = None) -> None:
        """Record that `principal` was allowed each action (at `at`, default now)."""
        with clock.using(clock.FrozenClock(at or clock.now())):
            for action in actions:
                self.recorder.note(principal, action, Decision(effect=Effect.ALLOW))
        await self.recorder.flush()


@pytest.fixture
def activity(db: TortoiseContext) -> Activity:
    """Access activity to record for the test's principals."""
    return Activity()
