"""Helpers of the service tests (and of the other packages that check what a write left
behind): the `rejects`/`succeeds` fixtures' types, the last audit event, the authorization
generation, stored policies and attachments, recorded access activity. The fixtures are in
`tests/services/conftest.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

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
)
from gateway.policy import Decision, Effect
from gateway.services.access_activity import ActivityRecorder
from gateway.services.principal import Principal
from tests.helpers import (  # noqa: F401  (re-exported)
    GOOD_PASSWORD,
    ROOT_EMAIL,
    ROOT_PASSWORD,
    Snapshot,
    principal_for_root,
    principal_for_user,
    snapshot,
)

Rejects = Callable[..., Awaitable[GatewayError]]
Succeeds = Callable[..., Awaitable[Any]]


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
