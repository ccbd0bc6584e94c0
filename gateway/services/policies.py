"""Managed policies and their tags: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, Tag/Untag.

Versions are in `gateway.services.policy_versions`.

A managed policy has its own ARN and keeps up to five versions of its document (`v1`, `v2`,
…, never reused), exactly one of them the default, the one in force. Customer-managed
policies belong to one account; AWS-managed policies (`arn:aws:iam::aws:policy/…`, account
NULL, see `gateway.services.builtin`) are visible to and attachable by every account and
writable by none.

AWS answers a write to an AWS-managed policy as it answers any write to another account's
resource: AccessDenied, "User: … is not authorized to perform: iam:CreatePolicyVersion on
resource: policy arn:aws:iam::aws:policy/…". We do the same, whoever the caller.

An AWS-managed policy's row is shared by every account, so its stored `attachment_count` and
`boundary_usage_count` are deployment-wide. Functions that hand policies to a caller replace
them, on the returned instances only, by the caller's account's own counts
(`localize_counts`), so one tenant never learns about another's attachments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from gateway import arns
from gateway.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    NoSuchEntity,
    ValidationError,
    from_policy_error,
)
from gateway.ids import POLICY_PREFIX, new_unique_id
from gateway.models import (
    EntityKind,
    Group,
    ManagedPolicy,
    PolicyAttachment,
    PolicyVersion,
    Role,
    User,
)
from gateway.policy import Policy, PolicyValidationError, parse_policy
from gateway.services import tags as tagging
from gateway.services import targets
from gateway.services.identities import attempted_arn
from gateway.services.pagination import (
    INVALID_CURSOR,
    Page,
    decode_cursor,
    encode_cursor,
    page_size,
)
from gateway.services.principal import Principal
from gateway.services.targets import Kind
from gateway.services.validation import (
    check_description,
    check_length,
    check_name,
    check_path,
    check_path_prefix,
)
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreatePolicy"
DELETE = "iam:DeletePolicy"
TAG = "iam:TagPolicy"
UNTAG = "iam:UntagPolicy"

MANAGED_POLICY_MAX_SIZE = 6144
"""Characters (whitespace excluded) of one managed policy document."""
MAX_VERSIONS = 5
"""Versions a managed policy keeps at most."""
POLICY_NAME_MAX = 128
SCOPES = ("All", "AWS", "Local")

VERSION_ID_PATTERN = r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"
_VERSION_ID = re.compile(VERSION_ID_PATTERN)
_CURSOR_SEPARATOR = "/"  # never part of a policy name or unique id


# --- shared by the policy services ------------------------------------------------------------


def check_policy_arn(policy_arn: str, field: str = "policyArn") -> str:
    """`policy_arn` if it is a well-formed ARN: AWS's length rule, then "ARN … is not valid."."""
    check_length(policy_arn, field, minimum=20, maximum=2048)
    try:
        arns.parse_arn(policy_arn)
    except ValueError as error:
        raise InvalidInput(f"ARN {policy_arn} is not valid.") from error
    return policy_arn


def check_version_id(version_id: str) -> str:
    """A policy version id such as `v3`, with AWS's pattern error otherwise."""
    if not _VERSION_ID.fullmatch(version_id):
        raise ValidationError(
            f"1 validation error detected: Value '{version_id}' at 'versionId' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: "
            f"{VERSION_ID_PATTERN}"
        )
    return version_id


def check_enum(value: str, field: str, allowed: Sequence[str]) -> str:
    """`value` if it is one of `allowed`; else AWS's enum ValidationError."""
    if value not in allowed:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def parse_managed_document(text: str) -> Policy:
    """Validate a managed policy document (identity grammar, at most 6,144 characters)."""
    try:
        return parse_policy(text, "identity", max_size=MANAGED_POLICY_MAX_SIZE)
    except PolicyValidationError as error:
        raise from_policy_error(error) from error


def is_aws_managed(policy: ManagedPolicy) -> bool:
    """True for the built-in AWS-managed policies, which no account may change."""
    return policy.account_id is None


def unmodifiable(actor: Principal, action: str, policy_arn: str) -> AccessDenied:
    """AWS's answer to a write to an AWS-managed policy (another account's resource)."""
    return AccessDenied(
        f"User: {actor.arn} is not authorized to perform: {action} on resource: policy "
        f"{policy_arn} because no resource-based policy allows the {action} action",
        reason="AWS-managed policies cannot be modified",
    )


def policy_not_found(policy_arn: str) -> NoSuchEntity:
    """NoSuchEntity as GetPolicy and the version operations word it."""
    return NoSuchEntity(f"Policy {policy_arn} was not found.")


def policy_not_attachable(policy_arn: str) -> NoSuchEntity:
    """NoSuchEntity as AttachUserPolicy and DeletePolicy word it."""
    return NoSuchEntity(f"Policy {policy_arn} does not exist or is not attachable.")


async def find_policy(
    account_id: str, policy_arn: str, *, using_db: BaseDBAsyncClient | None = None
) -> ManagedPolicy | None:
    """The policy with that ARN if `account_id` can see it (its own or AWS-managed)."""
    policy = await targets.stored_by_arn(Kind.POLICY, account_id, policy_arn, using=using_db)
    return policy if isinstance(policy, ManagedPolicy) else None


async def lock_policy(policy: ManagedPolicy, connection: BaseDBAsyncClient) -> ManagedPolicy:
    # Row lock on PostgreSQL (SQLite serializes writers anyway): version numbering, the
    # version quota and the default switch are decided by one writer at a time.
    return await ManagedPolicy.filter(id=policy.id).select_for_update().using_db(connection).get()


def _account_entities(account_id: str) -> Q:
    """Attachments whose user, group or role belongs to `account_id`."""
    return Q(
        Q(
            entity_kind=EntityKind.USER.value,
            entity_id__in=Subquery(User.filter(account_id=account_id).values("id")),
        ),
        Q(
            entity_kind=EntityKind.GROUP.value,
            entity_id__in=Subquery(Group.filter(account_id=account_id).values("id")),
        ),
        Q(
            entity_kind=EntityKind.ROLE.value,
            entity_id__in=Subquery(Role.filter(account_id=account_id).values("id")),
        ),
        join_type="OR",
    )


async def localize_counts(account_id: str, policies: Iterable[ManagedPolicy]) -> None:
    """Give AWS-managed policies the attachment and boundary counts of `account_id` alone.

    Changes the instances in memory only (never saved); three queries when any AWS-managed
    policy is among them (attachments, users' and roles' boundaries), none otherwise.
    """
    shared = {p.id: p for p in policies if is_aws_managed(p)}
    if not shared:
        return
    attached = (
        await PolicyAttachment.filter(_account_entities(account_id), policy_id__in=list(shared))
        .annotate(n=Count("id"))
        .group_by("policy_id")
        .values_list("policy_id", "n")
    )
    bounded = (
        await User.filter(account_id=account_id, permissions_boundary_id__in=list(shared))
        .annotate(n=Count("id"))
        .group_by("permissions_boundary_id")
        .values_list("permissions_boundary_id", "n")
    )
    bounded_roles = (
        await Role.filter(account_id=account_id, permissions_boundary_id__in=list(shared))
        .annotate(n=Count("id"))
        .group_by("permissions_boundary_id")
        .values_list("permissions_boundary_id", "n")
    )
    attachment_counts = {str(policy_id): int(n) for policy_id, n in attached}
    boundary_counts: dict[str, int] = {}
    for policy_id, n in [*bounded, *bounded_roles]:
        boundary_counts[str(policy_id)] = boundary_counts.get(str(policy_id), 0) + int(n)
    for policy_id, policy in shared.items():
        policy.attachment_count = attachment_counts.get(policy_id, 0)
        policy.boundary_usage_count = boundary_counts.get(policy_id, 0)


def policies_under_path(
    query: QuerySet[ManagedPolicy], path_prefix: str
) -> QuerySet[ManagedPolicy]:
    """Only the policies whose path starts with `path_prefix`, case-sensitively as in AWS.

    The same SUBSTR comparison as `gateway.services.identities.under_path` (LIKE would ignore case
    on SQLite).
    """
    check_path_prefix(path_prefix)
    if path_prefix == "/":
        return query
    head = RawSQL(f"SUBSTR(path, 1, {len(path_prefix)})")
    return query.annotate(path_head=head).filter(path_head=path_prefix)


def _name_key(policy: ManagedPolicy) -> str:
    return encode_cursor(f"{policy.name_lower}{_CURSOR_SEPARATOR}{policy.id}")


def after_name_key(cursor: str | None) -> Q | None:
    """The keyset condition "after this cursor" for lists ordered by (name_lower, id)."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    name, separator, policy_id = key.rpartition(_CURSOR_SEPARATOR)
    if not separator:
        raise InvalidInput(INVALID_CURSOR)
    return Q(name_lower__gt=name) | Q(name_lower=name, id__gt=policy_id)


def page_of_policies(policies: Sequence[ManagedPolicy], size: int) -> Page[ManagedPolicy]:
    """A page from up to `size + 1` policies fetched in (name_lower, id) order."""
    return Page(items=list(policies[:size]), has_next=len(policies) > size, cursor_of=_name_key)


# --- CreatePolicy, GetPolicy, ListPolicies, DeletePolicy ------------------------------------------


async def arns_by_id(policy_ids: Sequence[str]) -> dict[str, str]:
    """Managed policy id → ARN, in one query (for loaders)."""
    ids = list(dict.fromkeys(policy_ids))
    if not ids:
        return {}
    rows = await ManagedPolicy.filter(id__in=ids).values_list("id", "arn")
    return {str(policy_id): str(arn) for policy_id, arn in rows}


async def create_policy(
    actor: Principal,
    *,
    policy_name: str,
    policy_document: str,
    path: str = "/",
    description: str = "",
    tags: tagging.TagsIn | None = None,
) -> ManagedPolicy:
    """CreatePolicy: a customer-managed policy whose `v1` is `policy_document`, the default."""
    action = CREATE
    async with audited_precheck(
        actor, action, attempted_arn("policy", actor.account_id, path, policy_name)
    ):
        check_name(policy_name, "policyName", maximum=POLICY_NAME_MAX)
        check_path(path, "path")
        check_description(description)
        new_tags = tagging.checked(tags or {})
        parse_managed_document(policy_document)
    arn = arns.policy_arn(actor.account_id, path, policy_name)
    async with writing(actor, action, arn, changes_policies=False) as tx:
        duplicate = EntityAlreadyExists(
            f"A policy called {policy_name} already exists. Duplicate names are not allowed."
        )
        taken = ManagedPolicy.filter(
            account_id=actor.account_id, name_lower=policy_name.lower()
        ).using_db(tx.connection)
        if await taken.exists():
            raise duplicate
        try:
            policy = await ManagedPolicy.create(
                id=new_unique_id(POLICY_PREFIX),
                account_id=actor.account_id,
                name=policy_name,
                name_lower=policy_name.lower(),
                path=path,
                arn=arn,
                description=description,
                default_version_id="v1",
                tags=new_tags,
                next_version_number=2,
                using_db=tx.connection,
            )
        except IntegrityError as error:  # a concurrent CreatePolicy won the name
            raise duplicate from error
        await PolicyVersion.create(
            policy_id=policy.id,
            version_id="v1",
            document=policy_document,
            is_default=True,
            using_db=tx.connection,
        )
        tx.details.update(policyName=policy_name, policyId=policy.id)
    return policy


async def get_policy(actor: Principal, policy_arn: str) -> ManagedPolicy:
    """GetPolicy: a policy of the caller's account or an AWS-managed one."""
    check_policy_arn(policy_arn)
    policy = await find_policy(actor.account_id, policy_arn)
    if policy is None:
        raise policy_not_found(policy_arn)
    await localize_counts(actor.account_id, [policy])
    return policy


async def list_policies(
    actor: Principal,
    *,
    scope: str = "All",
    only_attached: bool = False,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[ManagedPolicy]:
    """ListPolicies, ordered by name: `scope` All, AWS (built-in) or Local (the account's)."""
    check_enum(scope, "scope", SCOPES)
    check_path_prefix(path_prefix)
    size = page_size(first)
    local = Q(account_id=actor.account_id)
    aws = Q(account_id__isnull=True)
    if only_attached:
        local &= Q(attachment_count__gt=0)
        aws &= Q(
            id__in=Subquery(
                PolicyAttachment.filter(_account_entities(actor.account_id)).values("policy_id")
            )
        )
    visible = {"All": local | aws, "AWS": aws, "Local": local}[scope]
    query = policies_under_path(ManagedPolicy.filter(visible), path_prefix)
    after_key = after_name_key(after)
    if after_key is not None:
        query = query.filter(after_key)
    policies = await query.order_by("name_lower", "id").limit(size + 1)
    page = page_of_policies(policies, size)
    await localize_counts(actor.account_id, page.items)
    return page


async def delete_policy(actor: Principal, policy_arn: str) -> None:
    """DeletePolicy: only once detached, unused as a boundary, and down to its default version."""
    action = DELETE
    async with audited_precheck(actor, action, policy_arn):
        check_policy_arn(policy_arn)
    async with writing(actor, action, policy_arn) as tx:
        policy = await find_policy(actor.account_id, policy_arn, using_db=tx.connection)
        if policy is None:
            raise policy_not_attachable(policy_arn)
        if is_aws_managed(policy):
            raise unmodifiable(actor, action, policy_arn)
        policy = await lock_policy(policy, tx.connection)
        attached = PolicyAttachment.filter(policy_id=policy.id).using_db(tx.connection)
        bounding = User.filter(permissions_boundary_id=policy.id).using_db(tx.connection)
        bounding_roles = Role.filter(permissions_boundary_id=policy.id).using_db(tx.connection)
        if await attached.exists() or await bounding.exists() or await bounding_roles.exists():
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        versions = PolicyVersion.filter(policy_id=policy.id).using_db(tx.connection)
        if await versions.count() > 1:
            raise DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        await versions.delete()
        await ManagedPolicy.filter(id=policy.id).using_db(tx.connection).delete()
        tx.details.update(policyName=policy.name, policyId=policy.id)


async def writable_policy(
    actor: Principal, action: str, policy_arn: str, connection: BaseDBAsyncClient
) -> ManagedPolicy:
    """The customer-managed policy to change, locked for the write; AWS-managed ones refuse."""
    policy = await find_policy(actor.account_id, policy_arn, using_db=connection)
    if policy is None:
        raise policy_not_found(policy_arn)
    if is_aws_managed(policy):
        raise unmodifiable(actor, action, policy_arn)
    return await lock_policy(policy, connection)


# --- tags --------------------------------------------------------------------------------------


async def tag_policy(actor: Principal, policy_arn: str, *, tags: tagging.TagsIn) -> ManagedPolicy:
    """TagPolicy: add tags, replacing those with the same key (keys compare ignoring case, the
    new key's case wins); the rules are gateway.services.tags'."""
    action = TAG
    async with audited_precheck(actor, action, policy_arn):
        check_policy_arn(policy_arn)
        new_tags = tagging.checked(tags)
    async with writing(actor, action, policy_arn, changes_policies=False) as tx:
        policy = await writable_policy(actor, action, policy_arn, tx.connection)
        policy.tags = tagging.merged(policy.tags, new_tags)
        await policy.save(update_fields=["tags", "updated_at"], using_db=tx.connection)
        tx.details["tagKeys"] = sorted(new_tags)
    return policy


async def untag_policy(
    actor: Principal, policy_arn: str, *, tag_keys: Sequence[str]
) -> ManagedPolicy:
    """UntagPolicy: remove the tags with these keys (ignoring case); absent keys are fine."""
    action = UNTAG
    async with audited_precheck(actor, action, policy_arn):
        check_policy_arn(policy_arn)
        keys = tagging.checked_keys(tag_keys)
    async with writing(actor, action, policy_arn, changes_policies=False) as tx:
        policy = await writable_policy(actor, action, policy_arn, tx.connection)
        policy.tags = tagging.without(policy.tags, keys)
        await policy.save(update_fields=["tags", "updated_at"], using_db=tx.connection)
        tx.details["tagKeys"] = sorted(keys)
    return policy
