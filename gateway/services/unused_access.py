"""What is wrong now: the causes behind findings, from the account's state and its activity.

Two families, each finding a problem about one resource:

- IAM Access Analyzer's unused access (finding types as AWS names them), after `age` days
  without use (GATEWAY_UNUSED_ACCESS_AGE_DAYS, 90 by default, AWS's unusedAccessAge): a role
  not assumed or used (`UnusedIAMRole`), an active access key not used
  (`UnusedIAMUserAccessKey`), a console password not used (`UnusedIAMUserPassword`),
  permissions granted but not used (`UnusedPermission`: per service, the actions granted by
  name or pattern that no allowed decision used). An identity younger than `age` days has not
  had the time to use anything and is not judged.
- The seed's best practices (the gateway's own finding types): root access keys present
  (`RootUserAccessKey`), the root user used for everyday tasks (`RootUserActivity`: any action
  in the last `age` days that is not a root-only or root self-service task, setting up the
  account's first IAM user excepted, as the seed advises), root or a console user without MFA
  (`RootUserWithoutMfa`, `ConsoleUserWithoutMfa`), no password policy or a weak one
  (`NoPasswordPolicy`, `WeakPasswordPolicy`: below the CIS AWS Foundations Benchmark's
  minimum length 14 and reuse prevention 24).

`causes(account_id, age)` yields them; `gateway.services.findings` turns them into findings
that open, update and resolve themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from gateway import clock
from gateway.arns import root_arn
from gateway.models import (
    AccessActivity,
    AccessKey,
    AccessKeyStatus,
    AccountPasswordPolicy,
    AuditEvent,
    LoginProfile,
    MfaDevice,
    Outcome,
    Role,
    RootUser,
    User,
)
from gateway.policy import Policy
from gateway.policy.matching import glob_text_matcher
from gateway.services.analysis_jobs import dump_time
from gateway.services.breathing import Breather, all_of, all_values, value_pages
from gateway.services.effective import account_policies
from gateway.services.grants import grants_of, services_granted
from gateway.services.root_tasks import ROOT_ONLY_ACTIONS

ROLE = "AWS::IAM::Role"
USER = "AWS::IAM::User"
ROOT = "AWS::IAM::RootUser"
PASSWORD_POLICY = "AWS::IAM::AccountPasswordPolicy"

STRONG_MINIMUM_LENGTH = 14
STRONG_REUSE_PREVENTION = 24

ROOT_TASKS = frozenset(
    a.lower()
    for a in (
        *ROOT_ONLY_ACTIONS,
        "iam:ChangePassword",
        "iam:GetAccountName",
        "iam:GetAccountEmailAddress",
        "iam:CreateVirtualMFADevice",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:DeleteVirtualMFADevice",
    )
)
"""What root may do at any time: root-only tasks and looking after its own credentials."""
ROOT_OWN = frozenset(
    a.lower()
    for a in (
        "iam:EnableMFADevice",
        "iam:DeactivateMFADevice",
        "iam:ResyncMFADevice",
        "iam:CreateAccessKey",
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "iam:ListAccessKeys",
    )
)
"""Root self-service when aimed at root itself (its audit events name the root ARN)."""
FIRST_ADMIN = frozenset(
    a.lower()
    for a in (
        "iam:CreateUser",
        "iam:CreateLoginProfile",
        "iam:AttachUserPolicy",
        "iam:PutUserPolicy",
        "iam:GetUser",
    )
)
"""Setting up the first IAM user ("use the root user to create your first IAM user and assign
it permissions to create other users"), when aimed at that user."""


class Used(NamedTuple):
    """One principal's use of one action, as access activity recorded it (summed over source
    identities).

    A named tuple rather than a dataclass: a big account has tens of thousands, and a tuple of
    plain values drops out of the garbage collector's sight, so its full passes stay short."""

    service: str
    action: str
    action_key: str
    last_allowed_at: datetime
    times: int
    """How many times it was allowed (the activity's `count`)."""


@dataclass(frozen=True, slots=True)
class Cause:
    """One problem: a finding type about a resource, with its details."""

    finding_type: str
    resource: str
    resource_type: str
    details: list[dict[str, Any]] = field(default_factory=list)
    part: str = ""
    """What tells two problems of one type about one resource apart (an access key id)."""

    @property
    def key(self) -> str:
        """The problem's identity while it lasts."""
        return "|".join((self.finding_type, self.resource, self.part))


async def causes(account_id: str, age: int) -> AsyncIterator[Cause]:
    """Every problem the account has now (see the module docstring), one at a time: on a big
    account they are tens of thousands, and holding them all at once (with their details)
    made the garbage collector's full passes over them stall the event loop."""
    now = clock.now()
    cutoff = now - timedelta(days=age)
    breather = Breather()
    by_principal: dict[str, list[Used]] = defaultdict(list)
    async for rows in value_pages(
        AccessActivity.filter(account_id=account_id),
        "principal_arn",
        "service",
        "action",
        "action_key",
        "last_allowed_at",
        "count",
    ):
        for arn, service, action, key, last, count in rows:
            used = Used(str(service), str(action), str(key), last, int(count))
            by_principal[str(arn)].append(used)
        await breather.breathe()
    policies = await account_policies(account_id)
    for cause in await _root(account_id, cutoff, by_principal):
        yield cause
    for cause in await _password_policy(account_id):
        yield cause
    async for cause in _users(account_id, cutoff, by_principal, policies.users, breather):
        yield cause
    async for cause in _roles(account_id, cutoff, by_principal, policies.roles, breather):
        yield cause


async def _root(account_id: str, cutoff: datetime, activity: dict[str, list[Used]]) -> list[Cause]:
    root = await RootUser.get(account_id=account_id)
    arn = root_arn(account_id)
    found = []
    keys = await AccessKey.filter(root_id=root.id).order_by("created_at")
    if keys:
        found.append(
            Cause(
                "RootUserAccessKey",
                arn,
                ROOT,
                [{"rootUserAccessKeyDetails": {"accessKeyIds": [k.id for k in keys]}}],
            )
        )
    if not await MfaDevice.filter(root_id=root.id, enabled_at__isnull=False).exists():
        found.append(Cause("RootUserWithoutMfa", arn, ROOT))
    everyday = await _everyday(account_id, arn, cutoff, activity.get(arn, []))
    if everyday:
        found.append(
            Cause(
                "RootUserActivity", arn, ROOT, [{"rootUserActivityDetails": {"actions": everyday}}]
            )
        )
    return found


async def _everyday(
    account_id: str, arn: str, cutoff: datetime, rows: Sequence[Used]
) -> list[dict[str, Any]]:
    """Root's recent actions that are not root tasks (see ROOT_TASKS, ROOT_OWN, FIRST_ADMIN)."""
    recent = [r for r in rows if r.last_allowed_at >= cutoff and r.action_key not in ROOT_TASKS]
    if not recent:
        return []
    first = await User.filter(account_id=account_id).order_by("created_at", "id").first()
    targets: dict[str, set[str]] = defaultdict(set)
    events = AuditEvent.filter(
        account_id=account_id, principal_arn=arn, outcome=Outcome.ALLOWED.value
    ).values_list("action", "resource")
    for action, resource in await events:
        targets[str(action).lower()].add(str(resource))
    everyday = []
    for row in sorted(recent, key=lambda r: r.action_key):
        aimed = targets.get(row.action_key, set())
        if row.action_key in ROOT_OWN and aimed and aimed <= {arn}:
            continue
        if row.action_key in FIRST_ADMIN and first is not None and aimed and aimed <= {first.arn}:
            continue
        everyday.append(
            {
                "action": row.action,
                "lastAccessed": dump_time(row.last_allowed_at),
                "count": row.times,
            }
        )
    return everyday


async def _password_policy(account_id: str) -> list[Cause]:
    arn = root_arn(account_id)
    policy = await AccountPasswordPolicy.get_or_none(account_id=account_id)
    if policy is None:
        return [Cause("NoPasswordPolicy", arn, PASSWORD_POLICY)]
    weaknesses = []
    if policy.minimum_password_length < STRONG_MINIMUM_LENGTH:
        weaknesses.append(
            f"MinimumPasswordLength {policy.minimum_password_length} is below "
            f"{STRONG_MINIMUM_LENGTH}"
        )
    if (policy.password_reuse_prevention or 0) < STRONG_REUSE_PREVENTION:
        weaknesses.append(
            f"PasswordReusePrevention {policy.password_reuse_prevention or 0} is below "
            f"{STRONG_REUSE_PREVENTION}"
        )
    if not weaknesses:
        return []
    return [
        Cause(
            "WeakPasswordPolicy",
            arn,
            PASSWORD_POLICY,
            [{"weakPasswordPolicyDetails": {"weaknesses": weaknesses}}],
        )
    ]


async def _users(
    account_id: str,
    cutoff: datetime,
    activity: dict[str, list[Used]],
    policies: dict[str, tuple[Policy, ...]],
    breather: Breather,
) -> AsyncIterator[Cause]:
    users = await all_values(
        User.filter(account_id=account_id),
        "name_lower",
        "id",
        "arn",
        "created_at",
        "password_last_used",
        breather=breather,
    )
    users.sort(key=lambda row: str(row[0]))
    with_password = LoginProfile.filter(user__account_id=account_id)
    profiles = {str(u) for (u,) in await all_values(with_password, "user_id", breather=breather)}
    mfa = MfaDevice.filter(account_id=account_id, enabled_at__isnull=False, user_id__isnull=False)
    with_mfa = {str(u) for (u,) in await all_values(mfa, "user_id", breather=breather)}
    keys: dict[str, list[AccessKey]] = defaultdict(list)
    users_keys = AccessKey.filter(account_id=account_id, user_id__isnull=False)
    for key in await all_of(users_keys, breather):
        keys[str(key.user_id)].append(key)
    for own in keys.values():
        own.sort(key=lambda k: (k.created_at, k.id))  # a fixed order: oldest first
    for _, user_id, user_arn, created_at, password_last_used in users:
        await breather.breathe()
        old_enough = created_at <= cutoff
        if user_id in profiles:
            if user_id not in with_mfa:
                yield Cause("ConsoleUserWithoutMfa", user_arn, USER)
            last = password_last_used
            if old_enough and (last is None or last < cutoff):
                yield (
                    Cause(
                        "UnusedIAMUserPassword",
                        user_arn,
                        USER,
                        [{"unusedIamUserPasswordDetails": {"lastAccessed": dump_time(last)}}],
                    )
                )
        for key in keys.get(user_id, []):
            if key.status != AccessKeyStatus.ACTIVE.value or key.created_at > cutoff:
                continue
            if key.last_used_at is None or key.last_used_at < cutoff:
                details = {"accessKeyId": key.id, "lastAccessed": dump_time(key.last_used_at)}
                yield (
                    Cause(
                        "UnusedIAMUserAccessKey",
                        user_arn,
                        USER,
                        [{"unusedIamUserAccessKeyDetails": details}],
                        part=key.id,
                    )
                )
        if old_enough:
            used = activity.get(user_arn, [])
            for cause in _unused_permissions(user_arn, USER, policies[user_id], used, cutoff):
                yield cause


async def _roles(
    account_id: str,
    cutoff: datetime,
    activity: dict[str, list[Used]],
    policies: dict[str, tuple[Policy, ...]],
    breather: Breather,
) -> AsyncIterator[Cause]:
    for role in await Role.filter(account_id=account_id).order_by("name_lower"):
        await breather.breathe()
        if role.created_at > cutoff:
            continue
        rows = activity.get(role.arn, [])
        used = [t for t in (role.last_used_at, *(r.last_allowed_at for r in rows)) if t is not None]
        last = max(used, default=None)
        if last is None or last < cutoff:
            yield (
                Cause(
                    "UnusedIAMRole",
                    role.arn,
                    ROLE,
                    [{"unusedIamRoleDetails": {"lastAccessed": dump_time(last)}}],
                )
            )
            continue  # an unused role's permissions are all unused: one finding says it
        for cause in _unused_permissions(role.arn, ROLE, policies[role.id], rows, cutoff):
            yield cause


def _unused_permissions(
    arn: str,
    resource_type: str,
    policies: Iterable[Policy],
    rows: Sequence[Used],
    cutoff: datetime,
) -> list[Cause]:
    """One UnusedPermission cause listing, per service, the granted actions (and action
    patterns) that no decision used since `cutoff`."""
    grants = grants_of(policies)
    patterns: dict[str, dict[str, str]] = defaultdict(dict)
    for grant in grants:
        if grant.service is not None:
            patterns[grant.service].setdefault(grant.pattern.lower(), grant.pattern)
    by_service: dict[str, list[Used]] = defaultdict(list)
    for row in rows:
        by_service[row.service].append(row)
    details = []
    for service in sorted(services_granted(grants, by_service)):
        service_rows = by_service.get(service, [])
        recent = [r for r in service_rows if r.last_allowed_at >= cutoff]
        unused = _unused_actions(patterns.get(service, {}), service_rows, recent)
        if recent and not unused:
            continue
        last = max((r.last_allowed_at for r in service_rows), default=None)
        details.append(
            {
                "unusedPermissionDetails": {
                    "serviceNamespace": service,
                    "lastAccessed": dump_time(last),
                    "actions": unused,
                }
            }
        )
    if not details:
        return []
    return [Cause("UnusedPermission", arn, resource_type, details)]


def _unused_actions(
    patterns: dict[str, str],
    service_rows: Sequence[Used],
    recent: Sequence[Used],
) -> list[dict[str, Any]]:
    """The service's granted patterns that no recent row matches, with their last use."""
    recently = {r.action_key for r in recent}
    # An action granted by name matches only its own rows (`action_key` is the action in
    # lower case): a look-up, where matching it against every row made an analysis of a big
    # account quadratic.
    latest: dict[str, datetime] = {}
    for row in service_rows:
        seen = latest.get(row.action_key)
        if seen is None or row.last_allowed_at > seen:
            latest[row.action_key] = row.last_allowed_at
    unused = []
    for key, pattern in sorted(patterns.items()):
        if key in recently:
            continue  # an exact action used: no need to match patterns
        if not any(c in key for c in "*?"):
            last = latest.get(key)
        else:
            matches = glob_text_matcher(pattern, ignore_case=True)
            if any(matches(r.action_key) for r in recent):
                continue
            last = max(
                (r.last_allowed_at for r in service_rows if matches(r.action_key)), default=None
            )
        unused.append({"action": pattern, "lastAccessed": dump_time(last)})
    return unused
