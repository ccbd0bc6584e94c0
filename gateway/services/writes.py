"""One transaction per write, its audit event and the account's authorization generation
inside it.

    async with writing(actor, "iam:CreateUser", user_arn) as tx:
        user = await User.create(..., using_db=tx.connection)
        tx.details["userName"] = name

On success the change, its audit event (outcome Allowed) and the bump of the account's
`authz_generation` (which tells every replica its cached permissions are stale) commit
together. A write that can change what a policy says for some principal (attachments,
documents, versions, memberships, boundaries, trust policies, renames, deletions) also bumps
`policy_generation`, by which compiled policies are cached; a write that changes permissions
only through the request context (tags, which `aws:PrincipalTag` and `aws:ResourceTag` read)
or not at all leaves the compiled policies in place (`changes_policies=False`): principals'
tags are read with their sessions, resources' with the reads cached by `authz_generation`.

If the block raises a `GatewayError`, everything rolls back and a Failed audit event is
written on its own; other exceptions roll back and propagate.

A failed COMMIT is not always a rolled-back one: when PostgreSQL restarts or the connection
drops as it commits, the change may be in although its answer was lost. The write's audit
event is the witness: `writing` looks for it (again while the database comes back, up to
`COMMIT_CHECKS`), and the write succeeds if it is there, fails with the original error if it
is not, and fails with a ServiceFailure saying the outcome is unknown if the database never
answers. So a caller is told "failed" only for a change that was not made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.queryset import UpdateQuery
from tortoise.transactions import in_transaction

from gateway import notifications
from gateway.errors import GatewayError, ServiceFailure
from gateway.models import Account, AuditEvent, Outcome
from gateway.services.audit_events import NO_REQUEST, new_event, request_id, user_agent
from gateway.services.prepared import PreparedUpdate, prepared_update
from gateway.services.principal import Principal

logger = logging.getLogger("gateway.services.writes")

AUDIT_CHANNEL = "audit_events"
"""The notification channel every committed audit event is announced on, as
`<account id>:<event id>` (see `gateway.notifications`)."""
CHANGES_CHANNEL = "authz_changes"
"""The channel every committed write that changes sessions (`writing`'s `changes_sessions`)
is announced on, as its account id: other replicas then stop using what they cached of that
account (sessions, and with them the authorization generation they read), so the change is
in force there at once."""

COMMIT_CHECKS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
"""Seconds waited before each look for a write's audit event after its COMMIT failed: about
4 s in all, what a database restart or a fail-over takes."""
OUTCOME_UNKNOWN = (
    "The database stopped answering while the change was being saved, and did not answer "
    "whether it was: read it back before trying again."
)

__all__ = [
    "AUDIT_CHANNEL",
    "CHANGES_CHANNEL",
    "COMMIT_CHECKS",
    "NO_REQUEST",
    "Write",
    "audit_safe",
    "audited_precheck",
    "bump_generation",
    "committed",
    "last_local_write",
    "local_write_count",
    "record",
    "request_id",
    "user_agent",
    "writing",
]


class _LocalWrites:
    """How many writes this process has committed, and the count just after its last write
    that changed sessions in each account: the signal that its short-lived caches (sessions,
    see gateway.auth.sessions) must not answer from before a change made here."""

    count = 0
    last: dict[str, int] = {}  # noqa: RUF012 - one per process, on purpose


def local_write_count() -> int:
    """The number of writes this process has committed so far."""
    return _LocalWrites.count


def last_local_write(account_id: str) -> int:
    """`local_write_count()` just after this process last committed a write that changed
    sessions in `account_id` (0 if it never has; see `writing`'s `changes_sessions`)."""
    return _LocalWrites.last.get(account_id, 0)


@dataclass(slots=True)
class Write:
    """The open write: its connection, and the resource and details to record in the audit
    event (a write that finds its entity inside the transaction names it there)."""

    connection: BaseDBAsyncClient
    resource: str
    details: dict[str, Any] = field(default_factory=dict)
    other_accounts: set[str] = field(default_factory=set)

    def touches(self, account_id: str) -> None:
        """Say that the write also changes a session of another account than its actor's
        (one a console switched roles from, or to): that account's cached sessions are
        retired too, here and on every replica."""
        self.other_accounts.add(account_id)


@asynccontextmanager
async def writing(
    actor: Principal,
    action: str,
    resource: str,
    *,
    changes_permissions: bool = True,
    changes_policies: bool = True,
    changes_sessions: bool = True,
) -> AsyncIterator[Write]:
    """Run a write as one transaction with its audit event; see the module docstring.

    `changes_permissions=False` is for writes that cannot change what anyone may do (a
    revocation, say), so that they leave every cached permission in place; `changes_policies=
    False` for writes that may change decisions, but not what any principal's policies say
    (tags, new entities), so that compiled policies stay cached. `changes_sessions=False`, with
    `changes_permissions=False`, is for writes that only add (a new session, a report) and
    change nothing that a credential in use stands for: the account's cached sessions stay
    cached (the retirement of another account's that the write `touches` still happens).
    """
    if changes_permissions and not changes_sessions:
        raise ValueError("a write that changes permissions changes what sessions stand for")
    witness: str | None = None
    write = None
    try:
        async with in_transaction() as connection:
            write = Write(connection, resource)
            yield write
            event_id = await record(
                actor,
                action,
                write.resource,
                Outcome.ALLOWED,
                details=write.details,
                using=connection,
            )
            if changes_permissions:
                await bump_generation(actor.account_id, policies=changes_policies, using=connection)
            # Revocations change no permission but end sessions.
            for account_id in _accounts(actor, write, changes_sessions):
                await notifications.notify(CHANGES_CHANNEL, account_id, using=connection)
            # From here on only the COMMIT can fail. Over a network (PostgreSQL) its answer
            # can be lost after it took effect; SQLite's is local, and a failed one is rolled
            # back at once (gateway.sqlite_client): the write did not happen.
            if connection.capabilities.dialect == "postgres":
                witness = event_id
        _committed_here(_accounts(actor, write, changes_sessions))
    except GatewayError as error:
        await record(
            actor,
            action,
            audit_safe(write.resource if write is not None else resource),
            Outcome.FAILED,
            error_code=error.code,
            error_message=error.message,
        )
        raise
    except Exception:
        if witness is None or not await committed(witness):
            raise
        logger.warning("A COMMIT failed, but the write it carried is in: answering success")
        _committed_here(_accounts(actor, write, changes_sessions))


def _accounts(actor: Principal, write: Write | None, changes_sessions: bool) -> list[str]:
    """The accounts whose cached sessions a write retires: its actor's (unless it changes no
    session), and any it `touches`."""
    others = write.other_accounts if write is not None else set()
    own = [actor.account_id] if changes_sessions else []
    return [*own, *sorted(others - set(own))]


def _committed_here(accounts: list[str]) -> None:
    _LocalWrites.count += 1
    for account_id in accounts:
        _LocalWrites.last[account_id] = _LocalWrites.count


async def committed(event_id: str) -> bool:
    """Whether the write whose audit event is `event_id` committed, asked after its COMMIT
    failed: looks for the event, again while the database does not answer (`COMMIT_CHECKS`);
    ServiceFailure (OUTCOME_UNKNOWN) if it never does."""
    for delay in COMMIT_CHECKS:
        await asyncio.sleep(delay)
        try:
            return await AuditEvent.filter(event_id=event_id).exists()
        except Exception:  # the database is still away: look again
            continue
    raise ServiceFailure(OUTCOME_UNKNOWN)


async def record(
    actor: Principal,
    action: str,
    resource: str,
    outcome: Outcome,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
    details: dict[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
    using: BaseDBAsyncClient | None = None,
) -> str:
    """Write one audit event (in `using`'s transaction when given, else in its own) and
    announce it on `AUDIT_CHANNEL` when that transaction commits; return its `event_id`.

    The event is built by `gateway.services.audit_events.new_event` (CloudTrail's names, the
    user identity, the request's scrubbed parameters); `identity` overrides the user identity.
    """
    event = new_event(
        actor,
        action,
        resource,
        outcome,
        error_code=error_code,
        error_message=error_message,
        details=details,
        identity=identity,
    )
    if using is not None:
        await _store(event, using)
        return str(event.event_id)
    async with in_transaction() as connection:
        await _store(event, connection)
    return str(event.event_id)


async def _store(event: Any, connection: BaseDBAsyncClient) -> None:
    await event.save(using_db=connection, force_create=True)
    await notifications.notify(AUDIT_CHANNEL, f"{event.account_id}:{event.id}", using=connection)


def _bump(*, policies: bool) -> PreparedUpdate:
    def update(account_id: str) -> UpdateQuery:
        bumped = {"authz_generation": F("authz_generation") + 1}
        if policies:
            bumped["policy_generation"] = F("policy_generation") + 1
        return Account.filter(id=account_id).update(**bumped)

    return prepared_update(update)


# Every write runs one of these: made once (gateway.services.prepared), not per write.
_BUMP = _bump(policies=False)
_BUMP_WITH_POLICIES = _bump(policies=True)


async def bump_generation(
    account_id: str, *, policies: bool = True, using: BaseDBAsyncClient | None = None
) -> None:
    """Mark every cached permission of the account stale, on every replica; with `policies`,
    its compiled policies too."""
    await (_BUMP_WITH_POLICIES if policies else _BUMP).run(account_id, using=using)


MAX_RESOURCE = 2048
"""Length of the audit event's resource column."""


@asynccontextmanager
async def audited_precheck(actor: Principal, action: str, resource: str) -> AsyncIterator[None]:
    """Checks a write makes before its transaction opens (validation, look-ups).

    A GatewayError raised in the block is recorded as a Failed audit event, as `writing`
    records its own, and re-raised. Nothing in the block may change the database.
    """
    try:
        yield
    except GatewayError as error:
        await record(
            actor,
            action,
            audit_safe(resource),
            Outcome.FAILED,
            error_code=error.code,
            error_message=error.message,
        )
        raise


def audit_safe(text: str) -> str:
    """`text` fit for an audit column: rejected input may hold anything, NUL included (which
    PostgreSQL refuses in text), so anything but printable ASCII is backslash-escaped, and the
    result cut to the column's length."""
    if not (text.isascii() and text.isprintable()):
        text = text.encode("unicode_escape").decode("ascii")
    return text[:MAX_RESOURCE]
