"""AssumeRole: temporary credentials for a role, issued to a caller its trust policy allows.

The answer holds an `ASIA…` access key id with its secret, a session token and the expiry,
and the assumed-role user: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` with the id
`AROA…:SESSION`. Both credential forms authenticate like GetSessionToken's
(`Authorization: Bearer <sessionToken>`, a SigV4 signature with the `ASIA…` key and its
session token, or `Authorization: GatewayKey <ASIA…>:<secret>`), as the
role session: under it the caller has only the role's permissions (its policies, capped by
its boundary, intersected with the session policies passed here), nothing it had before.

AWS's rules, with AWS's errors:

- the root user cannot assume roles: AccessDenied "Roles may not be assumed by root
  accounts.";
- `roleSessionName` and `sourceIdentity` are 2-64 characters of `[\\w+=,.@-]`, `roleArn`
  20-2,048 characters, `durationSeconds` 900-43,200 (ValidationError, AWS's wording);
- an unknown role and a role that does not allow the caller (`gateway.services.role_trust`)
  get the same AccessDenied, "User: <caller> is not authorized to perform: sts:AssumeRole on
  resource: <role ARN>", so that nothing tells whether the role exists;
- the duration is at most the role's MaxSessionDuration, 3,600 s by default; a role session
  assuming a role (role chaining) is capped at one hour, and asking for more is refused;
- session policies: an inline `policy` (an identity-kind document, at most 2,048 characters)
  and up to 10 managed `policyArns` of the role's account or AWS's; all of it, packed (the
  document without whitespace plus the ARNs), must fit in 2,048 characters, else
  PackedPolicyTooLarge with the percentage used;
- `sourceIdentity` needs `sts:SetSourceIdentity` allowed by the same rule (trust policy, and
  the caller's policies unless the trust policy names the caller), and once a session has
  one, sessions chained from it keep it (and need that permission too) and cannot change it;
- `serialNumber` with `tokenCode`: a code of the caller's own MFA device, accepted once and
  counted like a sign-in attempt (`gateway.services.mfa_challenges.verify_caller_code`); the
  trust policy then sees `aws:MultiFactorAuthPresent` "true" and the session is
  MFA-authenticated. A caller whose own session was MFA-authenticated passes that on.

Each issue is one transaction with its audit event (and, across accounts, a second event in
the role's account, as CloudTrail logs in both); a refusal changes nothing and leaves a Failed
audit event. The role's `last_used_at` is set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tortoise.expressions import Q

from gateway import clock
from gateway.arns import assumed_role_arn, parse_arn
from gateway.errors import (
    AccessDenied,
    NoSuchEntity,
    PackedPolicyTooLarge,
    ValidationError,
    from_policy_error,
)
from gateway.ids import TEMPORARY_KEY_PREFIX, new_session_id, new_unique_id
from gateway.models import Outcome, PolicyVersion, PrincipalKind, Role, Session
from gateway.policy import PolicyValidationError, parse_policy, policy_size
from gateway.services.access_keys import hash_secret, new_secret, seal_secret
from gateway.services.authorization import PrincipalPolicies, load_policies
from gateway.services.bearer_tokens import hash_token, new_token
from gateway.services.mfa_challenges import check_mfa_pair, verified_mfa_at
from gateway.services.policies import check_policy_arn
from gateway.services.principal import Principal
from gateway.services.role_trust import (
    ASSUME_ROLE,
    SET_SOURCE_IDENTITY,
    refusal_details,
    trust_decision,
)
from gateway.services.seeds import SeedCipher
from gateway.services.session_tokens import TemporaryCredentials
from gateway.services.signin_throttling import DEFAULT_LOCKOUT, Lockout
from gateway.services.user_identity import caller_account
from gateway.services.validation import check_length, check_range, violation
from gateway.services.writes import audit_safe, audited_precheck, record, writing

MIN_DURATION = 900
MAX_DURATION = 43_200
DEFAULT_DURATION = 3_600
CHAINED_MAX_DURATION = 3_600
NAME_MIN, NAME_MAX = 2, 64
NAME_PATTERN = r"[\w+=,.@-]*"
ARN_MIN, ARN_MAX = 20, 2048
POLICY_MAX = 2048
MAX_POLICY_ARNS = 10
PACKED_LIMIT = 2048
"""What the packed session policies (document without whitespace, plus the ARNs) may use."""

ROOT_REFUSED = "Roles may not be assumed by root accounts."
EXCEEDS_MAX_SESSION = (
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
)
EXCEEDS_CHAINED = (
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role "
    "chaining."
)
SOURCE_IDENTITY_FIXED = "The source identity of a role session cannot be changed once it is set."
MFA_CONTEXT_TRUE = "true"

_NAME = re.compile(NAME_PATTERN, re.ASCII)


@dataclass(frozen=True, slots=True)
class AssumedRole:
    """AssumeRole's answer; the secret and token are shown only here, once.

    `packed_policy_size` is the percentage of the packed limit the session policies use
    (None when none were passed), as AWS's PackedPolicySize.
    """

    credentials: TemporaryCredentials
    arn: str
    assumed_role_id: str
    source_identity: str | None
    packed_policy_size: int | None


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """A role session about to be issued: everything `issue` writes."""

    role: Role
    session_name: str
    duration: int
    session_policies: list[dict[str, str]]
    source_identity: str | None
    mfa_at: datetime | None
    chained: bool
    switched_from_id: str | None = None
    with_access_key: bool = True


def not_authorized(
    actor: Principal,
    role_arn: str,
    action: str = ASSUME_ROLE,
    details: Mapping[str, object] | None = None,
) -> AccessDenied:
    """AWS's AccessDenied for a role the caller may not assume (or that does not exist), with
    `details` (`gateway.services.role_trust.refusal_details`) in its extensions."""
    return AccessDenied(
        f"User: {actor.arn} is not authorized to perform: {action} on resource: {role_arn}",
        **(details or {}),
    )


def check_session_name(value: str, field: str = "roleSessionName") -> str:
    """A role session name (or source identity): 2-64 characters of `[\\w+=,.@-]`."""
    check_length(value, field, minimum=NAME_MIN, maximum=NAME_MAX)
    if not _NAME.fullmatch(value):
        raise violation(
            value, field, f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    return value


def check_duration(duration_seconds: int | None) -> None:
    """AWS's overall bounds on durationSeconds (the role's own maximum is checked later)."""
    if duration_seconds is not None:
        check_range(duration_seconds, "durationSeconds", minimum=MIN_DURATION, maximum=MAX_DURATION)


def session_duration(role: Role, duration_seconds: int | None, *, chained: bool) -> int:
    """The session's length: the request's, else one hour, within the role's maximum and
    the chaining cap; ValidationError with AWS's message past either."""
    if duration_seconds is None:
        return min(DEFAULT_DURATION, role.max_session_duration)
    if chained and duration_seconds > CHAINED_MAX_DURATION:
        raise ValidationError(EXCEEDS_CHAINED)
    if duration_seconds > role.max_session_duration:
        raise ValidationError(EXCEEDS_MAX_SESSION)
    return duration_seconds


def check_session_policy(policy: str | None) -> None:
    """The inline session policy: at most 2,048 characters, a valid identity-kind policy."""
    if policy is None:
        return
    check_length(policy, "policy", minimum=1, maximum=POLICY_MAX)
    try:
        parse_policy(policy, "identity")
    except PolicyValidationError as error:
        raise from_policy_error(error) from error


def check_policy_arns(policy_arns: Sequence[str] | None) -> list[str]:
    """Up to 10 well-formed managed policy ARNs, duplicates dropped."""
    arns = list(dict.fromkeys(policy_arns or []))
    if len(policy_arns or []) > MAX_POLICY_ARNS:
        raise violation(
            "[" + ", ".join(policy_arns or []) + "]",
            "policyArns",
            f"Member must have length less than or equal to {MAX_POLICY_ARNS}",
        )
    for arn in arns:
        check_policy_arn(arn, "policyArns.member.arn")
    return arns


def packed_size(policy: str | None, policy_arns: Sequence[str]) -> int | None:
    """The percentage of the packed limit the session policies use (None: none passed);
    PackedPolicyTooLarge past 100 %."""
    if policy is None and not policy_arns:
        return None
    used = (policy_size(policy) if policy is not None else 0) + sum(len(a) for a in policy_arns)
    percent = math.ceil(100 * used / PACKED_LIMIT)
    if percent > 100:
        raise PackedPolicyTooLarge(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy "
            "for serialization."
        )
    return percent


async def managed_session_policies(role: Role, policy_arns: Sequence[str]) -> list[dict[str, str]]:
    """The default versions of the managed session policies, which must be the role
    account's or AWS's; NoSuchEntity otherwise."""
    found: list[dict[str, str]] = []
    for arn in policy_arns:
        version = (
            await PolicyVersion.filter(policy__arn=arn, is_default=True)
            .filter(Q(policy__account_id=role.account_id) | Q(policy__account_id__isnull=True))
            .first()
        )
        if version is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        found.append({"label": arn, "document": version.document})
    return found


async def find_role(role_arn: str) -> Role | None:
    """The role with exactly that ARN, in any account of the deployment."""
    return await Role.get_or_none(arn=role_arn)


def check_role_arn(actor: Principal, role_arn: str) -> None:
    """`roleArn`: AWS's length bounds; anything that is not an IAM role ARN cannot name a
    role, so it is refused like an unknown role."""
    check_length(role_arn, "roleArn", minimum=ARN_MIN, maximum=ARN_MAX)
    try:
        parsed = parse_arn(role_arn)
    except ValueError:
        raise not_authorized(actor, role_arn) from None
    if parsed.service != "iam" or not parsed.resource.startswith("role/"):
        raise not_authorized(actor, role_arn)


async def assume_role(
    actor: Principal,
    *,
    role_arn: str,
    role_session_name: str,
    duration_seconds: int | None = None,
    policy: str | None = None,
    policy_arns: Sequence[str] | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
    source_identity: str | None = None,
    cipher: SeedCipher | None = None,
    lockout: Lockout = DEFAULT_LOCKOUT,
    caller_policies: PrincipalPolicies | None = None,
) -> AssumedRole:
    """Temporary credentials for the role `role_arn` (see the module docstring).

    `caller_policies` are the caller's policies if already at hand (an Authorizer's cached
    ones); they are read afresh otherwise. `cipher` opens MFA seeds for `tokenCode`; wrong
    codes count against `lockout` like failed sign-ins.
    """
    async with audited_precheck(actor, ASSUME_ROLE, audit_safe(role_arn)):
        check_role_arn(actor, role_arn)
        check_session_name(role_session_name)
        check_duration(duration_seconds)
        check_session_policy(policy)
        arns = check_policy_arns(policy_arns)
        if source_identity is not None:
            check_session_name(source_identity, "sourceIdentity")
        check_mfa_pair(serial_number, token_code)
        if actor.is_root:
            raise AccessDenied(ROOT_REFUSED)
        packed = packed_size(policy, arns)
        mfa_at = (
            await verified_mfa_at(actor, serial_number, token_code, cipher, lockout)
            or actor.mfa_authenticated_at
        )
        plan = await authorize_session(
            actor,
            role_arn,
            role_session_name,
            duration_seconds,
            policies=caller_policies,
            mfa_at=mfa_at,
            source_identity=source_identity,
        )
        inline = (
            [{"label": f"{plan_arn(plan)}:session-policy", "document": policy}]
            if policy is not None
            else []
        )
        plan = replace(
            plan, session_policies=inline + await managed_session_policies(plan.role, arns)
        )
    credentials, session = await issue(actor, plan, cipher=cipher)
    return AssumedRole(
        credentials=credentials,
        arn=plan_arn(plan),
        assumed_role_id=f"{plan.role.id}:{plan.session_name}",
        source_identity=session.source_identity,
        packed_policy_size=packed,
    )


def plan_arn(plan: SessionPlan) -> str:
    """The assumed-role ARN the planned session will have."""
    return assumed_role_arn(plan.role.account_id, plan.role.name, plan.session_name)


async def authorize_session(
    actor: Principal,
    role_arn: str,
    session_name: str,
    duration_seconds: int | None,
    *,
    policies: PrincipalPolicies | None = None,
    mfa_at: datetime | None = None,
    source_identity: str | None = None,
) -> SessionPlan:
    """Check that `actor` may assume `role_arn` now and plan the session (no writes).

    AccessDenied (the same for an unknown role) or ValidationError for the duration.
    """
    if actor.is_root:
        raise AccessDenied(ROOT_REFUSED)
    role = await find_role(role_arn)
    if policies is None:
        policies = await load_policies(actor)
    if role is None:
        raise not_authorized(
            actor, role_arn, details=refusal_details(actor, policies, None, role_arn)
        )
    chained = actor.kind is PrincipalKind.ROLE
    context: dict[str, str] = {}
    if mfa_at is not None:
        age = max(int((clock.now() - mfa_at).total_seconds()), 0)
        context = {
            "aws:MultiFactorAuthPresent": MFA_CONTEXT_TRUE,
            "aws:MultiFactorAuthAge": str(age),
        }
    if not trust_decision(actor, policies, role, context=context).allowed:
        details = refusal_details(actor, policies, role, role_arn, context=context)
        raise not_authorized(actor, role_arn, details=details)
    inherited = actor.source_identity
    if inherited is not None and source_identity not in (None, inherited):
        raise AccessDenied(SOURCE_IDENTITY_FIXED)
    identity = inherited or source_identity
    if identity is not None:
        decision = trust_decision(
            actor,
            policies,
            role,
            action=SET_SOURCE_IDENTITY,
            context={**context, "sts:SourceIdentity": identity},
        )
        if not decision.allowed:
            details = refusal_details(
                actor,
                policies,
                role,
                role_arn,
                action=SET_SOURCE_IDENTITY,
                context={**context, "sts:SourceIdentity": identity},
            )
            raise not_authorized(actor, role_arn, SET_SOURCE_IDENTITY, details)
    duration = session_duration(role, duration_seconds, chained=chained)
    return SessionPlan(
        role=role,
        session_name=session_name,
        duration=duration,
        session_policies=[],
        source_identity=identity,
        mfa_at=mfa_at,
        chained=chained,
    )


async def issue(
    actor: Principal,
    plan: SessionPlan,
    *,
    replaces: Principal | None = None,
    cipher: SeedCipher | None = None,
) -> tuple[TemporaryCredentials, Session]:
    """Write the planned role session, its audit event(s) and the role's last use, in one
    transaction; `replaces` is a session (of a principal of any account) revoked in the same
    transaction (a console switch replacing an earlier one). The access key's secret is
    sealed with `cipher`, so that the credentials can sign SigV4 requests."""
    role = plan.role
    token = new_token()
    now = clock.now()
    key_id = secret = None
    if plan.with_access_key:
        key_id, secret = new_unique_id(TEMPORARY_KEY_PREFIX), new_secret()
    session = Session(
        id=new_session_id(),
        token_hash=hash_token(token),
        account_id=role.account_id,
        principal_kind=PrincipalKind.ROLE.value,
        role_id=role.id,
        role_session_name=plan.session_name,
        session_policies=plan.session_policies,
        assumed_by_arn=actor.arn,
        source_identity=plan.source_identity,
        chained=plan.chained,
        switched_from_id=plan.switched_from_id,
        created_at=now,
        expires_at=now + timedelta(seconds=plan.duration),
        last_used_at=now,
        source_ip=actor.source_ip,
        mfa_authenticated=plan.mfa_at is not None,
        mfa_authenticated_at=plan.mfa_at,
        access_key_id=key_id,
        secret_hash=hash_secret(key_id, secret) if key_id and secret else None,
        secret_sealed=seal_secret(cipher, key_id, secret) if key_id and secret else None,
        via_access_key=actor.access_key_id if actor.long_term_key else None,
    )
    details = {
        "roleSessionName": plan.session_name,
        "assumedRoleArn": plan_arn(plan),
        "assumedRoleId": f"{role.id}:{plan.session_name}",
        "durationSeconds": plan.duration,
        "chained": plan.chained,
        "sessionPolicies": [p["label"] for p in plan.session_policies],
        **({"accessKeyId": key_id} if key_id else {}),
        **({"sourceIdentity": plan.source_identity} if plan.source_identity else {}),
        **({"switchedFrom": plan.switched_from_id} if plan.switched_from_id else {}),
    }
    # A new session: the caller's account keeps its cached sessions; one it replaces is retired
    # with its account (`touches`).
    async with writing(
        actor, ASSUME_ROLE, role.arn, changes_permissions=False, changes_sessions=False
    ) as tx:
        await session.save(using_db=tx.connection, force_create=True)
        await Role.filter(id=role.id).using_db(tx.connection).update(last_used_at=now)
        if replaces is not None:
            await (
                Session.filter(id=replaces.session_id, revoked_at=None)
                .using_db(tx.connection)
                .update(revoked_at=now)
            )
            tx.touches(replaces.account_id)
        tx.details.update(details)
        if role.account_id != actor.account_id:
            # The role's owner sees who assumed its role, as CloudTrail logs in both accounts.
            await record(
                replace(actor, account_id=role.account_id),
                ASSUME_ROLE,
                role.arn,
                Outcome.ALLOWED,
                details={**details, "callerAccount": actor.account_id},
                identity=caller_account(actor),
                using=tx.connection,
            )
    credentials = TemporaryCredentials(
        access_key_id=key_id or "",
        secret_access_key=secret or "",
        session_token=token,
        expiration=session.expires_at,
    )
    return credentials, session
