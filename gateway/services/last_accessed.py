"""Last accessed (IAM's Access Advisor): GenerateServiceLastAccessedDetails and
GetServiceLastAccessedDetails, for a user, a group, a role or a managed policy.

For each service that the entity's permissions policies grant, the report says when it was
last used and by whom, and how many entities used it; a service never used has no time. The
data is the gateway's access activity (every allowed decision, per principal and action; see
`gateway.services.access_activity`), counted for the services the subject's policies grant:

- a user: its own and its groups' policies, and its own activity;
- a role: its policies, and the activity of its sessions;
- a group: its policies, and the activity of its members (the last one to use a service is
  `lastAuthenticatedEntity`, as in AWS);
- a managed policy: that policy, and the activity of the users, group members and roles it
  is attached to.

Only activity that the policies could have allowed counts (an action one of their Allow
statements covers). With ACTION_LEVEL granularity each service also lists its tracked
actions: every action granted by name, and every action used. Boundaries and resource
policies are not considered, as AWS's report does not consider them. The gateway has no
regions: regions are null.

As in AWS, the job id is handed back to the caller who generated it; only that caller may
read the report. The report is made when it is asked for (the data is local), so a job is
COMPLETED at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from gateway import clock
from gateway.arns import iam_resource_type
from gateway.errors import InvalidInput, NoSuchEntity
from gateway.models import (
    AccessActivity,
    AnalysisJob,
    EntityKind,
    Group,
    GroupMembership,
    JobKind,
    ManagedPolicy,
    PolicyAttachment,
    PolicyVersion,
    Role,
    User,
)
from gateway.policy import Policy
from gateway.services.analysis_jobs import dump_time, load_time, new_job_id, owned_job, requester
from gateway.services.breathing import Breather, value_pages
from gateway.services.effective import group_policies, identity_policies, parsed, role_policies
from gateway.services.grants import Grant, covers, grants_of, services_granted
from gateway.services.principal import Principal
from gateway.services.validation import check_length
from gateway.services.writes import audited_precheck, writing

GENERATE = "iam:GenerateServiceLastAccessedDetails"
GET = "iam:GetServiceLastAccessedDetails"
COMPLETED = "COMPLETED"

SERVICE_NAMES = {
    "iam": "AWS Identity and Access Management",
    "sts": "AWS Security Token Service",
    "s3": "Amazon S3",
    "ec2": "Amazon EC2",
    "dynamodb": "Amazon DynamoDB",
    "lambda": "AWS Lambda",
    "sqs": "Amazon SQS",
    "sns": "Amazon SNS",
    "kms": "AWS Key Management Service",
    "cloudtrail": "AWS CloudTrail",
    "access-analyzer": "IAM Access Analyzer",
}
"""AWS's names of the services it names; any other service is named by its namespace (the
gateway's own and applications' services have no AWS name)."""


class Granularity(StrEnum):
    """AccessAdvisorUsageGranularityType."""

    SERVICE_LEVEL = "SERVICE_LEVEL"
    ACTION_LEVEL = "ACTION_LEVEL"


@dataclass(frozen=True, slots=True)
class TrackedAction:
    """One action of a service in an ACTION_LEVEL report (TrackedActionLastAccessed)."""

    action_name: str
    last_accessed_time: datetime | None = None
    last_accessed_entity: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceLastAccessed:
    """One service of a report (ServiceLastAccessed); times are None for a service never
    used."""

    service_name: str
    service_namespace: str
    last_authenticated: datetime | None = None
    last_authenticated_entity: str | None = None
    total_authenticated_entities: int = 0
    tracked_actions_last_accessed: tuple[TrackedAction, ...] | None = None


@dataclass(frozen=True, slots=True)
class LastAccessedReport:
    """GetServiceLastAccessedDetails's answer."""

    job_id: str
    job_status: str
    job_type: Granularity
    job_creation_date: datetime
    job_completion_date: datetime
    services_last_accessed: tuple[ServiceLastAccessed, ...] = field(default_factory=tuple)

    def never_used(self) -> list[str]:
        """The namespaces of granted services with no recorded use."""
        return [
            s.service_namespace for s in self.services_last_accessed if s.last_authenticated is None
        ]


class Use(NamedTuple):
    """The columns of an access activity row that a report reads (plain values: Tortoise
    builds them faster than model objects, and they stay out of the garbage collector's
    sight)."""

    principal_arn: str
    source_identity: str
    service: str
    action: str
    action_key: str
    last_allowed_at: datetime


@dataclass(frozen=True, slots=True)
class Subject:
    """What a report is about: its policies and the principals whose activity counts."""

    arn: str
    policies: tuple[Policy, ...]
    principals: tuple[str, ...]


async def generate_service_last_accessed_details(
    actor: Principal, arn: str, granularity: Granularity = Granularity.SERVICE_LEVEL
) -> str:
    """Make the report for the user, group, role or managed policy `arn` of the caller's
    account and return its job id (NoSuchEntity / InvalidInput for an ARN that names none)."""
    async with audited_precheck(actor, GENERATE, arn):
        check_length(arn, "arn", minimum=20, maximum=2048)
        subject = await subject_of(actor.account_id, arn)
    now = clock.now()
    services = await services_last_accessed(actor.account_id, subject, granularity)
    async with writing(
        actor, GENERATE, subject.arn, changes_permissions=False, changes_sessions=False
    ) as tx:
        job = await AnalysisJob.create(
            id=new_job_id(),
            account_id=actor.account_id,
            kind=JobKind.LAST_ACCESSED.value,
            subject_arn=subject.arn,
            requested_by=requester(actor),
            parameters={"granularity": granularity.value},
            status=COMPLETED,
            created_at=now,
            completed_at=clock.now(),
            result={"services": [_dump(s) for s in services]},
            using_db=tx.connection,
        )
        tx.details.update(jobId=job.id, granularity=granularity.value)
    return job.id


async def get_service_last_accessed_details(actor: Principal, job_id: str) -> LastAccessedReport:
    """A report generated by the caller (NoSuchEntity for any other job id)."""
    job = await owned_job(actor, job_id, JobKind.LAST_ACCESSED, NoSuchEntity)
    return LastAccessedReport(
        job_id=job.id,
        job_status=job.status,
        job_type=Granularity(job.parameters["granularity"]),
        job_creation_date=job.created_at,
        job_completion_date=job.completed_at or job.created_at,
        services_last_accessed=tuple(_load(s) for s in job.result["services"]),
    )


async def subject_of(account_id: str, arn: str) -> Subject:
    """The policies and the counted principals of a user, group, role or managed policy."""
    kind = iam_resource_type(arn)
    if kind == "user":
        user = await User.get_or_none(account_id=account_id, arn=arn)
        if user is None:
            raise NoSuchEntity(f"The user with ARN {arn} cannot be found.")
        policies = (await identity_policies(account_id, user.id)).identity
        return Subject(user.arn, policies, (user.arn,))
    if kind == "role":
        role = await Role.get_or_none(account_id=account_id, arn=arn)
        if role is None:
            raise NoSuchEntity(f"The role with ARN {arn} cannot be found.")
        return Subject(role.arn, (await role_policies(account_id, role.id)).identity, (role.arn,))
    if kind == "group":
        group = await Group.get_or_none(account_id=account_id, arn=arn)
        if group is None:
            raise NoSuchEntity(f"The group with ARN {arn} cannot be found.")
        members = await _members([group.id])
        return Subject(group.arn, (await group_policies(account_id, group.id)).identity, members)
    if kind == "policy":
        return await _policy_subject(account_id, arn)
    raise InvalidInput(
        f"Invalid ARN {arn}: expected the ARN of an IAM user, group, role or managed policy."
    )


async def _policy_subject(account_id: str, arn: str) -> Subject:
    policy = await ManagedPolicy.get_or_none(arn=arn)
    if policy is None or policy.account_id not in (None, account_id):
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    version = await PolicyVersion.get(policy_id=policy.id, is_default=True)
    attached = await PolicyAttachment.filter(policy_id=policy.id).values_list(
        "entity_kind", "entity_id"
    )
    ids: dict[str, list[str]] = {}
    for kind, entity_id in attached:
        ids.setdefault(str(kind), []).append(str(entity_id))
    users = await User.filter(
        account_id=account_id, id__in=ids.get(EntityKind.USER.value, [""])
    ).values_list("arn", flat=True)
    roles = await Role.filter(
        account_id=account_id, id__in=ids.get(EntityKind.ROLE.value, [""])
    ).values_list("arn", flat=True)
    groups = await Group.filter(
        account_id=account_id, id__in=ids.get(EntityKind.GROUP.value, [""])
    ).values_list("id", flat=True)
    members = await _members([str(g) for g in groups])
    principals = tuple(dict.fromkeys([*map(str, users), *members, *map(str, roles)]))
    return Subject(policy.arn, (parsed(policy.arn, version.document),), principals)


async def _members(group_ids: list[str]) -> tuple[str, ...]:
    if not group_ids:
        return ()
    user_ids = await GroupMembership.filter(group_id__in=group_ids).values_list(
        "user_id", flat=True
    )
    arns = await User.filter(id__in=[str(u) for u in user_ids] or [""]).values_list(
        "arn", flat=True
    )
    return tuple(sorted(str(a) for a in arns))


async def services_last_accessed(
    account_id: str, subject: Subject, granularity: Granularity
) -> list[ServiceLastAccessed]:
    """The report's services, sorted by namespace (AWS's default order)."""
    grants = grants_of(subject.policies)
    breather = Breather()
    # Rows share few actions: whether the grants cover one is worked out once per action.
    allowed: dict[str, bool] = {}
    by_service: dict[str, list[Use]] = defaultdict(list)
    activity = AccessActivity.filter(
        account_id=account_id, principal_arn__in=list(subject.principals) or [""]
    )
    async for page in value_pages(activity, *Use._fields):
        for row in map(Use._make, page):
            covered = allowed.get(row.action)
            if covered is None:
                covered = allowed[row.action] = any(covers(g.pattern, row.action) for g in grants)
            if covered:
                by_service[row.service].append(row)
        await breather.breathe()
    for used in by_service.values():
        # A fixed order, so that of rows used at the same time the same one is reported.
        used.sort(key=lambda r: (r.principal_arn, r.source_identity, r.action_key))
    services = services_granted(grants, by_service)
    report = []
    for namespace in sorted(services):
        await breather.breathe()
        used = by_service.get(namespace, [])
        last = max(used, key=lambda r: r.last_allowed_at, default=None)
        tracked = None
        if granularity is Granularity.ACTION_LEVEL:
            tracked = _tracked(namespace, grants, used)
        report.append(
            ServiceLastAccessed(
                service_name=SERVICE_NAMES.get(namespace, namespace),
                service_namespace=namespace,
                last_authenticated=last.last_allowed_at if last else None,
                last_authenticated_entity=last.principal_arn if last else None,
                total_authenticated_entities=len({r.principal_arn for r in used}),
                tracked_actions_last_accessed=tracked,
            )
        )
    return report


def _tracked(namespace: str, grants: list[Grant], used: list[Use]) -> tuple[TrackedAction, ...]:
    latest: dict[str, Use] = {}
    for row in used:
        seen = latest.get(row.action_key)
        if seen is None or row.last_allowed_at > seen.last_allowed_at:
            latest[row.action_key] = row
    # Spelled as the policy grants it, else as it was first used.
    names = {g.pattern.lower(): g.pattern for g in grants if g.explicit and g.service == namespace}
    for row in used:
        names.setdefault(row.action_key, row.action)
    tracked = []
    for key in sorted(names):
        found = latest.get(key)
        tracked.append(
            TrackedAction(
                action_name=names[key].partition(":")[2],
                last_accessed_time=found.last_allowed_at if found else None,
                last_accessed_entity=found.principal_arn if found else None,
            )
        )
    return tuple(tracked)


def _dump(service: ServiceLastAccessed) -> dict[str, Any]:
    tracked = service.tracked_actions_last_accessed
    return {
        "name": service.service_name,
        "namespace": service.service_namespace,
        "last": dump_time(service.last_authenticated),
        "entity": service.last_authenticated_entity,
        "entities": service.total_authenticated_entities,
        "actions": None
        if tracked is None
        else [
            [t.action_name, dump_time(t.last_accessed_time), t.last_accessed_entity]
            for t in tracked
        ],
    }


def _load(data: dict[str, Any]) -> ServiceLastAccessed:
    actions = data["actions"]
    return ServiceLastAccessed(
        service_name=data["name"],
        service_namespace=data["namespace"],
        last_authenticated=load_time(data["last"]),
        last_authenticated_entity=data["entity"],
        total_authenticated_entities=data["entities"],
        tracked_actions_last_accessed=None
        if actions is None
        else tuple(TrackedAction(name, load_time(at), who) for name, at, who in actions),
    )
