"""Findings: IAM Access Analyzer's ListFindingsV2 and UpdateFindings over the account's
problems (`gateway.services.unused_access`).

Every listing analyses the account afresh, so findings follow the account as it is:

- a new problem opens an ACTIVE finding;
- a problem still there keeps its finding (and its status: ARCHIVED stays archived), with
  its details brought up to date;
- a finding whose problem is gone becomes RESOLVED, by itself; the same problem coming back
  later opens a new finding, as in Access Analyzer.

`update_findings` archives findings (or makes them active again); resolved findings are
history and cannot be changed. Replicas analysing at once cannot open a problem twice: an
open finding's `open_key` is unique per account.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from gateway import clock
from gateway.arns import analyzer_arn
from gateway.errors import ResourceNotFound, ValidationError
from gateway.models import Finding, FindingStatus
from gateway.services.analysis_jobs import new_job_id
from gateway.services.breathing import Breather, value_pages
from gateway.services.pagination import Page, decode_cursor, encode_cursor, page_size
from gateway.services.principal import Principal
from gateway.services.unused_access import causes
from gateway.services.writes import audited_precheck, writing

LIST = "access-analyzer:ListFindingsV2"
UPDATE = "access-analyzer:UpdateFindings"
MAX_IDS = 100
FINDING_TYPES = (
    "UnusedIAMRole",
    "UnusedIAMUserAccessKey",
    "UnusedIAMUserPassword",
    "UnusedPermission",
    "RootUserAccessKey",
    "RootUserActivity",
    "RootUserWithoutMfa",
    "ConsoleUserWithoutMfa",
    "NoPasswordPolicy",
    "WeakPasswordPolicy",
)
"""AWS's unused-access finding types, then the gateway's own (the seed's best practices)."""
OPEN_BATCH = 250
"""New findings written per statement (each is built and its details written as JSON on the
event loop's thread)."""
DETAILS_PAGE = 250
"""Open findings read per query (their details are parsed on the event loop's thread)."""


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Which findings to list (every given criterion must hold)."""

    statuses: tuple[FindingStatus, ...] = ()
    finding_types: tuple[str, ...] = ()
    resource: str | None = None
    resource_type: str | None = None


class _Problem(NamedTuple):
    """A problem as its finding's columns, its details as JSON text: a big account has tens of
    thousands, and tuples of strings stay out of the garbage collector's full passes (which
    stall the event loop), where the problems' nested details would have lengthened them."""

    finding_type: str
    resource: str
    resource_type: str
    details: str


async def analyse(account_id: str, age: int) -> None:
    """Bring the account's findings up to date with its problems (see the module docstring)."""
    now = clock.now()
    breather = Breather()
    current: dict[str, _Problem] = {}
    async for cause in causes(account_id, age):
        current[cause.key] = _Problem(
            cause.finding_type, cause.resource, cause.resource_type, _canonical(cause.details)
        )
        await breather.breathe()
    open_findings = Finding.filter(account_id=account_id, open_key__isnull=False)
    async for rows in value_pages(open_findings, "id", "open_key", "details", size=DETAILS_PAGE):
        for finding_id, open_key, details in rows:
            await breather.breathe()
            problem = current.pop(str(open_key), None)
            if problem is None:
                await Finding.filter(id=finding_id, open_key=open_key).update(
                    status=FindingStatus.RESOLVED.value,
                    open_key=None,
                    updated_at=now,
                    analyzed_at=now,
                )
            elif problem.details != _canonical(details):
                await Finding.filter(id=finding_id, open_key=open_key).update(
                    details=json.loads(problem.details), updated_at=now, analyzed_at=now
                )
    opened: list[Finding] = []
    for key, problem in current.items():
        await breather.breathe()
        opened.append(
            Finding(
                id=new_job_id(),
                account_id=account_id,
                finding_type=problem.finding_type,
                resource=problem.resource,
                resource_type=problem.resource_type,
                status=FindingStatus.ACTIVE.value,
                open_key=key,
                details=json.loads(problem.details),
                created_at=now,
                updated_at=now,
                analyzed_at=now,
            )
        )
        if len(opened) == OPEN_BATCH:
            await _open(opened)
            opened = []
    await _open(opened)


def _canonical(details: Any) -> str:
    """Details as JSON text that is equal for equal details."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"))


async def _open(findings: list[Finding]) -> None:
    if findings:
        # One statement; a finding another replica opened a moment ago is left as it is (the
        # unique open key says so).
        await Finding.bulk_create(findings, ignore_conflicts=True)


async def list_findings(
    actor: Principal,
    *,
    age: int,
    criteria: FindingFilter | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Finding]:
    """The account's findings that match `criteria`, analysed afresh, by id."""
    criteria = criteria or FindingFilter()
    size = page_size(first)
    start = decode_cursor(after)
    _check_types(criteria.finding_types)
    await analyse(actor.account_id, age)
    query = Finding.filter(account_id=actor.account_id)
    if criteria.statuses:
        query = query.filter(status__in=[s.value for s in criteria.statuses])
    if criteria.finding_types:
        query = query.filter(finding_type__in=list(criteria.finding_types))
    if criteria.resource is not None:
        query = query.filter(resource=criteria.resource)
    if criteria.resource_type is not None:
        query = query.filter(resource_type=criteria.resource_type)
    if start is not None:
        query = query.filter(id__gt=start)
    rows = await query.order_by("id").limit(size + 1)
    return Page(rows[:size], len(rows) > size, lambda f: encode_cursor(f.id))


async def update_findings(
    actor: Principal, ids: Sequence[str], status: FindingStatus
) -> list[Finding]:
    """Archive findings, or make archived ones active again (UpdateFindings).

    ValidationError for another status, no ids or too many, or a resolved finding;
    ResourceNotFoundException for an id that is not one of the account's findings.
    """
    resource = analyzer_arn(actor.account_id)
    wanted = list(dict.fromkeys(ids))
    async with audited_precheck(actor, UPDATE, resource):
        if status not in (FindingStatus.ACTIVE, FindingStatus.ARCHIVED):
            raise ValidationError("status must be ACTIVE or ARCHIVED.")
        if not 1 <= len(wanted) <= MAX_IDS:
            raise ValidationError(f"ids must list 1 to {MAX_IDS} finding ids.")
    async with writing(actor, UPDATE, resource, changes_permissions=False) as tx:
        found = await Finding.filter(account_id=actor.account_id, id__in=wanted).using_db(
            tx.connection
        )
        known = {f.id: f for f in found}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise ResourceNotFound(f"Finding {missing[0]} cannot be found.")
        resolved = [f.id for f in found if f.status == FindingStatus.RESOLVED.value]
        if resolved:
            raise ValidationError(f"Finding {resolved[0]} is resolved and cannot be updated.")
        now = clock.now()
        await (
            Finding.filter(id__in=wanted)
            .using_db(tx.connection)
            .update(status=status.value, updated_at=now)
        )
        tx.details.update(ids=wanted, status=status.value)
    return await Finding.filter(account_id=actor.account_id, id__in=wanted).order_by("id")


def _check_types(finding_types: Sequence[str]) -> None:
    for finding_type in finding_types:
        if finding_type not in FINDING_TYPES:
            raise ValidationError(
                f"Invalid findingType {finding_type}: expected one of {', '.join(FINDING_TYPES)}."
            )
