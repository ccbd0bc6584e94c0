"""Policies from activity (IAM Access Analyzer's policy generation): StartPolicyGeneration and
GetGeneratedPolicy for an IAM user or role and a period.

The generated policy allows exactly the actions the principal was allowed in the period, as
the gateway recorded them (access activity: every allowed decision; an action counts when its
recorded use overlaps the period), and on the resources it can name:

- the resources of the principal's allowed audit events for that action in the period (the
  writes it made, with their exact ARNs), else
- the resources of the principal's own Allow statements that cover the action (the ARNs it was
  granted), so never `*` where the grant names ARNs; `*` only where the grant itself is `*`
  (or NotResource), or where nothing grants the action any more.

Actions of one service with the same resources share one statement; statements are sorted by
service. The result is checked by the engine's own parser as an identity policy of at most
6,144 characters (a managed policy's quota); a longer result is split into several policies,
as AWS returns a list. Periods are at most 90 days, as AWS's; the end defaults to now.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gateway import clock
from gateway.arns import assumed_role_arn, iam_resource_type
from gateway.errors import ResourceNotFound, ValidationError
from gateway.models import AccessActivity, AnalysisJob, AuditEvent, JobKind, Outcome, Role, User
from gateway.policy import Policy, parse_policy
from gateway.services.analysis_jobs import dump_time, load_time, new_job_id, owned_job, requester
from gateway.services.effective import identity_policies, role_policies
from gateway.services.grants import covers
from gateway.services.principal import Principal
from gateway.services.validation import check_length
from gateway.services.writes import audited_precheck, writing

START = "access-analyzer:StartPolicyGeneration"
GET = "access-analyzer:GetGeneratedPolicy"
SUCCEEDED = "SUCCEEDED"
MAX_PERIOD = timedelta(days=90)
MAX_POLICY_SIZE = 6144
ANY = "*"


@dataclass(frozen=True, slots=True)
class GeneratedPolicies:
    """GetGeneratedPolicy's answer: the job and its policies."""

    job_id: str
    status: str
    started_on: datetime
    completed_on: datetime | None
    principal_arn: str
    start_time: datetime
    end_time: datetime
    policies: tuple[str, ...]
    is_complete: bool = True


async def start_policy_generation(
    actor: Principal,
    principal_arn: str,
    start_time: datetime,
    end_time: datetime | None = None,
) -> str:
    """Generate the policy for the user or role `principal_arn` of the caller's account from
    its activity between `start_time` and `end_time` (default now); the job id."""
    now = clock.now()
    end = end_time or now
    async with audited_precheck(actor, START, principal_arn):
        check_length(principal_arn, "principalArn", minimum=20, maximum=2048)
        if start_time >= end:
            raise ValidationError("startTime must be before endTime.")
        if end - start_time > MAX_PERIOD:
            raise ValidationError(
                "The period between startTime and endTime must be 90 days or less."
            )
        if end > now + timedelta(minutes=5):
            raise ValidationError("endTime cannot be in the future.")
        kind = iam_resource_type(principal_arn)
        if kind not in ("user", "role"):
            raise ValidationError(
                f"Invalid principalArn {principal_arn}: expected the ARN of an IAM user or role."
            )
        policies, sessions_prefix = await _principal(actor.account_id, principal_arn, kind)
    statements = await _statements(
        actor.account_id, principal_arn, sessions_prefix, policies, start_time, end
    )
    documents = [json.dumps(d, indent=2) for d in _documents(statements)]
    for text in documents:
        parse_policy(text, "identity", max_size=MAX_POLICY_SIZE)  # the engine's own check
    async with writing(
        actor, START, principal_arn, changes_permissions=False, changes_sessions=False
    ) as tx:
        job = await AnalysisJob.create(
            id=new_job_id(),
            account_id=actor.account_id,
            kind=JobKind.POLICY_GENERATION.value,
            subject_arn=principal_arn,
            requested_by=requester(actor),
            parameters={"startTime": dump_time(start_time), "endTime": dump_time(end)},
            status=SUCCEEDED,
            created_at=now,
            completed_at=clock.now(),
            result={"policies": documents},
            using_db=tx.connection,
        )
        tx.details.update(jobId=job.id)
    return job.id


async def get_generated_policy(actor: Principal, job_id: str) -> GeneratedPolicies:
    """A generation job the caller started (ResourceNotFound for any other id)."""
    job = await owned_job(actor, job_id, JobKind.POLICY_GENERATION)
    start, end = load_time(job.parameters["startTime"]), load_time(job.parameters["endTime"])
    if start is None or end is None:  # pragma: no cover - written together by the start
        raise ResourceNotFound(f"The job with id {job_id} cannot be found.")
    return GeneratedPolicies(
        job_id=job.id,
        status=job.status,
        started_on=job.created_at,
        completed_on=job.completed_at,
        principal_arn=job.subject_arn,
        start_time=start,
        end_time=end,
        policies=tuple(job.result["policies"]),
    )


async def _principal(account_id: str, arn: str, kind: str) -> tuple[tuple[Policy, ...], str | None]:
    """The principal's policies, and for a role the ARN prefix of its sessions."""
    if kind == "user":
        user = await User.get_or_none(account_id=account_id, arn=arn)
        if user is None:
            raise ResourceNotFound(f"The user {arn} cannot be found.")
        return (await identity_policies(account_id, user.id)).identity, None
    role = await Role.get_or_none(account_id=account_id, arn=arn)
    if role is None:
        raise ResourceNotFound(f"The role {arn} cannot be found.")
    prefix = assumed_role_arn(account_id, role.name, "")
    return (await role_policies(account_id, role.id)).identity, prefix


async def _statements(
    account_id: str,
    arn: str,
    sessions_prefix: str | None,
    policies: tuple[Policy, ...],
    start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:
    used = await AccessActivity.filter(
        account_id=account_id,
        principal_arn=arn,
        last_allowed_at__gte=start,
        first_allowed_at__lte=end,
    )
    actions: dict[str, str] = {}
    for row in sorted(used, key=lambda r: r.action_key):
        actions.setdefault(row.action_key, row.action)
    events = AuditEvent.filter(
        account_id=account_id,
        outcome=Outcome.ALLOWED.value,
        occurred_at__gte=start,
        occurred_at__lte=end,
    )
    if sessions_prefix is None:
        events = events.filter(principal_arn=arn)
    else:
        events = events.filter(principal_arn__startswith=sessions_prefix)
    touched: dict[str, set[str]] = defaultdict(set)
    for action, resource in await events.values_list("action", "resource"):
        if resource and resource != ANY:
            touched[str(action).lower()].add(str(resource))

    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for key, action in actions.items():
        resources = touched.get(key) or _granted_resources(policies, action)
        grouped[(key.partition(":")[0], tuple(sorted(resources)))].append(action)
    statements = []
    for (_, arns), named in sorted(grouped.items()):
        listed = sorted(named, key=str.lower)
        statements.append(
            {
                "Effect": "Allow",
                "Action": listed[0] if len(listed) == 1 else listed,
                "Resource": arns[0] if len(arns) == 1 else list(arns),
            }
        )
    return statements


def _granted_resources(policies: tuple[Policy, ...], action: str) -> set[str]:
    """The resources of the principal's Allow statements that cover `action`: `*` when one of
    them allows every resource (or uses NotResource) or none covers it any more."""
    resources: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            if statement.is_deny:
                continue
            matched = any(covers(p, action) for p in statement.actions)
            if matched == statement.not_action:
                continue
            if statement.resources is None or statement.not_resource:
                return {ANY}
            sources = {template.source for template in statement.resources}
            if ANY in sources:
                return {ANY}
            resources |= sources
    return resources or {ANY}


def _documents(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statements as policy documents, each within the managed-policy size quota."""
    documents: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for statement in statements:
        trial = {"Version": "2012-10-17", "Statement": [*current, statement]}
        if current and _size(trial) > MAX_POLICY_SIZE:
            documents.append({"Version": "2012-10-17", "Statement": current})
            current = []
        current.append(statement)
    if current or not documents:
        documents.append({"Version": "2012-10-17", "Statement": current})
    return [d for d in documents if d["Statement"]]


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))
