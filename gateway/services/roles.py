"""IAM roles: create, read, list, update, change the trust policy, tag, delete.

A role is an identity without long-term credentials: its trust policy (a `trust`-kind policy
document, at most `TRUST_POLICY_MAX_SIZE` characters without whitespace) says who may assume
it, and its permission policies (attached, inline; gateway.services.attachments and
inline_policies) and permissions boundary (gateway.services.boundaries) say what its sessions
may do. Role names are unique in the account ignoring case, like user names; sessions last at
most `max_session_duration` seconds, between one and twelve hours.

Writes follow the users' pattern (gateway.services.users): input is validated and the role
looked up before the transaction, the role is read again, locked, inside it, and the write and
its audit event commit together. Deleting a role ends its sessions (they cascade).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from gateway import arns
from gateway.arns import parse_arn
from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    from_policy_error,
)
from gateway.ids import ROLE_PREFIX, new_unique_id
from gateway.models import Account, EntityKind, InlinePolicy, PolicyAttachment, Role, User
from gateway.policy import Policy, PolicyValidationError, parse_policy, policy_size
from gateway.services import targets
from gateway.services.pagination import Page
from gateway.services.principal import Principal
from gateway.services.targets import Kind
from gateway.services.users import (
    attachable_policy,
    attempted_arn,
    count_boundary_use,
    page_by_name,
    under_path,
)
from gateway.services.validation import (
    MAX_TAGS,
    check_length,
    check_name,
    check_path,
    check_range,
    check_tags,
    violation,
)
from gateway.services.writes import audited_precheck, writing

ROLES_PER_ACCOUNT = 1000
"""Quota: IAM roles per account (the gateway's default; AWS allows up to 5,000)."""
MAX_ROLE_NAME = 64
TRUST_POLICY_MAX_SIZE = 2048
"""Quota: characters of a trust policy, whitespace excluded (AWS's ACLSizePerRole)."""
MAX_POLICY_DOCUMENT = 131072
"""The longest policy document text the API takes at all, before quotas."""
MIN_SESSION_DURATION = 3600
MAX_SESSION_DURATION = 43200
MAX_DESCRIPTION = 1000
DESCRIPTION_PATTERN = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"
_DESCRIPTION = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]*")


def _no_such_role(role_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The role with name {role_name} cannot be found.")


def _role_exists(role_name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Role with name {role_name} already exists.")


def _attempted(account_id: str, role_name: str, path: str = "/") -> str:
    return attempted_arn("role", account_id, path, role_name)


async def check_trust_policy(text: str, field: str) -> None:
    """A trust policy document as AWS takes it: ValidationError for text the API refuses,
    LimitExceeded past `TRUST_POLICY_MAX_SIZE`, MalformedPolicyDocument (AWS's message) for
    anything the `trust` grammar refuses, such as a statement without a Principal, and for a
    principal that does not exist in this deployment (`check_trust_principals`)."""
    check_length(text, field, maximum=MAX_POLICY_DOCUMENT)
    if policy_size(text) > TRUST_POLICY_MAX_SIZE:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX_SIZE}")
    try:
        policy = parse_policy(text, "trust")
    except PolicyValidationError as error:
        raise from_policy_error(error) from error
    await check_trust_principals(policy)


async def check_trust_principals(policy: Policy) -> None:
    """MalformedPolicyDocument "Invalid principal in policy" for an `AWS` principal that names
    an account, user or role this deployment does not have, as AWS refuses principals that do
    not exist. `*`, service principals and assumed-role session ARNs of known accounts pass."""
    for statement in policy.statements:
        if statement.principals is None:
            continue
        for kind, value in sorted(statement.principals.values):
            if kind == "AWS" and "*" not in value and not await _principal_exists(value):
                raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{value}"')


async def _principal_exists(arn: str) -> bool:
    try:
        parsed = parse_arn(arn)
    except ValueError:
        return False
    if not await Account.filter(id=parsed.account).exists():
        return False
    if parsed.service == "sts" and parsed.resource.startswith("assumed-role/"):
        return True
    if parsed.service != "iam":
        return False
    if parsed.resource == "root":
        return True
    if parsed.resource.startswith("user/"):
        return await User.filter(arn=arn).exists()
    if parsed.resource.startswith("role/"):
        return await Role.filter(arn=arn).exists()
    return False


def _check_description(value: str) -> None:
    check_length(value, "description", minimum=0, maximum=MAX_DESCRIPTION)
    if not _DESCRIPTION.fullmatch(value):
        raise violation(
            value,
            "description",
            f"Member must satisfy regular expression pattern: {DESCRIPTION_PATTERN}",
        )


def _check_duration(seconds: int) -> None:
    check_range(
        seconds, "maxSessionDuration", minimum=MIN_SESSION_DURATION, maximum=MAX_SESSION_DURATION
    )


async def role_by_name(
    account_id: str, role_name: str, *, using: BaseDBAsyncClient | None = None
) -> Role:
    """The role named `role_name` (any case) in the account; NoSuchEntity if there is none."""
    check_name(role_name, "roleName", maximum=MAX_ROLE_NAME)
    role = await targets.stored(Kind.ROLE, account_id, role_name, using=using)
    if not isinstance(role, Role):
        raise _no_such_role(role_name)
    return role


async def _reload(role: Role, using: BaseDBAsyncClient) -> Role:
    fresh = await Role.filter(id=role.id).using_db(using).select_for_update().first()
    if fresh is None:
        raise _no_such_role(role.name)
    return fresh


async def create_role(
    actor: Principal,
    *,
    role_name: str,
    assume_role_policy_document: str,
    path: str = "/",
    description: str = "",
    max_session_duration: int = MIN_SESSION_DURATION,
    tags: Mapping[str, str] | None = None,
    permissions_boundary: str | None = None,
) -> Role:
    """Create a role with the given trust policy and no permissions.

    EntityAlreadyExists if the name is taken (ignoring case), LimitExceeded past
    `ROLES_PER_ACCOUNT`; the trust policy is checked by `check_trust_policy`;
    `permissions_boundary` must name a policy the account can attach (NoSuchEntity
    otherwise), whose boundary usage count goes up by one.
    """
    action = "iam:CreateRole"
    account_id = actor.account_id
    new_tags = dict(tags or {})
    async with audited_precheck(actor, action, _attempted(account_id, role_name, path)):
        check_name(role_name, "roleName", maximum=MAX_ROLE_NAME)
        check_path(path)
        _check_description(description)
        _check_duration(max_session_duration)
        check_tags(new_tags)
        if permissions_boundary is not None:
            check_length(permissions_boundary, "permissionsBoundary", minimum=20, maximum=2048)
        await check_trust_policy(assume_role_policy_document, "assumeRolePolicyDocument")

    arn = arns.role_arn(account_id, path, role_name)
    async with writing(actor, action, arn, changes_policies=False) as tx:
        conn = tx.connection
        taken = Role.filter(account_id=account_id, name_lower=role_name.lower()).using_db(conn)
        if await taken.exists():
            raise _role_exists(role_name)
        if await Role.filter(account_id=account_id).using_db(conn).count() >= ROLES_PER_ACCOUNT:
            raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT}")
        boundary = None
        if permissions_boundary is not None:
            boundary = await attachable_policy(account_id, permissions_boundary, conn)
        try:
            role = await Role.create(
                id=new_unique_id(ROLE_PREFIX),
                account_id=account_id,
                name=role_name,
                name_lower=role_name.lower(),
                path=path,
                arn=arn,
                description=description,
                assume_role_policy=assume_role_policy_document,
                max_session_duration=max_session_duration,
                tags=new_tags,
                permissions_boundary_id=boundary.id if boundary else None,
                using_db=conn,
            )
        except IntegrityError as error:
            # Lost a race with a concurrent CreateRole of the same name.
            raise _role_exists(role_name) from error
        if boundary is not None:
            await count_boundary_use(boundary.id, +1, conn)
        tx.details.update(roleName=role_name, roleId=role.id)
    return role


async def get_role(actor: Principal, role_name: str) -> Role:
    """The role named `role_name` in the caller's account; NoSuchEntity if there is none."""
    return await role_by_name(actor.account_id, role_name)


async def list_roles(
    actor: Principal,
    *,
    path_prefix: str = "/",
    first: int | None = None,
    after: str | None = None,
) -> Page[Role]:
    """The account's roles whose path starts with `path_prefix`, by name (ignoring case)."""
    query = under_path(Role.filter(account_id=actor.account_id), path_prefix)
    return await page_by_name(query, first=first, after=after)


async def update_role(
    actor: Principal,
    role_name: str,
    *,
    description: str | None = None,
    max_session_duration: int | None = None,
) -> Role:
    """Change the role's description and/or maximum session duration (None: unchanged).

    Sessions already issued keep their expiry.
    """
    action = "iam:UpdateRole"
    account_id = actor.account_id
    async with audited_precheck(actor, action, _attempted(account_id, role_name)):
        if description is not None:
            _check_description(description)
        if max_session_duration is not None:
            _check_duration(max_session_duration)
        role = await role_by_name(account_id, role_name)

    async with writing(actor, action, role.arn, changes_policies=False) as tx:
        role = await _reload(role, tx.connection)
        if description is not None:
            role.description = description
        if max_session_duration is not None:
            role.max_session_duration = max_session_duration
        await role.save(
            using_db=tx.connection, update_fields=["description", "max_session_duration"]
        )
        tx.details.update(roleName=role.name, maxSessionDuration=role.max_session_duration)
    return role


async def update_assume_role_policy(
    actor: Principal, *, role_name: str, policy_document: str
) -> Role:
    """Replace the role's trust policy (checked by `check_trust_policy`)."""
    action = "iam:UpdateAssumeRolePolicy"
    account_id = actor.account_id
    async with audited_precheck(actor, action, _attempted(account_id, role_name)):
        check_name(role_name, "roleName", maximum=MAX_ROLE_NAME)
        await check_trust_policy(policy_document, "policyDocument")
        role = await role_by_name(account_id, role_name)

    async with writing(actor, action, role.arn) as tx:
        role = await _reload(role, tx.connection)
        role.assume_role_policy = policy_document
        await role.save(using_db=tx.connection, update_fields=["assume_role_policy"])
        tx.details.update(roleName=role.name)
    return role


async def delete_role(actor: Principal, role_name: str) -> None:
    """Delete the role, and with it every session of the role.

    DeleteConflict while it has inline policies ("must delete policies first") or attached
    managed policies ("must detach all policies first"), in that order, as DeleteGroup. A
    permissions boundary does not block: its policy's boundary usage count goes down by one.
    """
    action = "iam:DeleteRole"
    async with audited_precheck(actor, action, _attempted(actor.account_id, role_name)):
        role = await role_by_name(actor.account_id, role_name)

    async with writing(actor, action, role.arn) as tx:
        conn = tx.connection
        role = await _reload(role, conn)
        kind = EntityKind.ROLE.value
        inline = InlinePolicy.filter(entity_kind=kind, entity_id=role.id).using_db(conn)
        if await inline.exists():
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        attached = PolicyAttachment.filter(entity_kind=kind, entity_id=role.id).using_db(conn)
        if await attached.exists():
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        if role.permissions_boundary_id is not None:
            await count_boundary_use(role.permissions_boundary_id, -1, conn)
        await role.delete(using_db=conn)
        tx.details.update(roleName=role.name, roleId=role.id)


async def tag_role(actor: Principal, role_name: str, tags: Mapping[str, str]) -> Role:
    """Add tags to the role, replacing those with the same key (keys compare ignoring case,
    the new key's case wins). LimitExceeded past 50 tags."""
    action = "iam:TagRole"
    new_tags = dict(tags)
    async with audited_precheck(actor, action, _attempted(actor.account_id, role_name)):
        check_tags(new_tags)
        role = await role_by_name(actor.account_id, role_name)

    async with writing(actor, action, role.arn, changes_policies=False) as tx:
        conn = tx.connection
        role = await _reload(role, conn)
        replaced = {key.lower() for key in new_tags}
        kept = {key: value for key, value in role.tags.items() if key.lower() not in replaced}
        check_tags(new_tags, existing=kept)
        role.tags = {**kept, **new_tags}
        await role.save(using_db=conn, update_fields=["tags"])
        tx.details.update(roleName=role.name, tagKeys=sorted(new_tags))
    return role


async def untag_role(actor: Principal, role_name: str, tag_keys: Sequence[str]) -> Role:
    """Remove the tags with these keys (ignoring case); keys the role lacks are ignored."""
    action = "iam:UntagRole"
    async with audited_precheck(actor, action, _attempted(actor.account_id, role_name)):
        if len(tag_keys) > MAX_TAGS:
            raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
        for key in tag_keys:
            check_length(key, "tagKeys.member", maximum=128)
        role = await role_by_name(actor.account_id, role_name)

    async with writing(actor, action, role.arn, changes_policies=False) as tx:
        conn = tx.connection
        role = await _reload(role, conn)
        removed = {key.lower() for key in tag_keys}
        role.tags = {key: value for key, value in role.tags.items() if key.lower() not in removed}
        await role.save(using_db=conn, update_fields=["tags"])
        tx.details.update(roleName=role.name, tagKeys=list(tag_keys))
    return role


async def list_role_tags(actor: Principal, role_name: str) -> dict[str, str]:
    """The role's tags, key to value."""
    role = await get_role(actor, role_name)
    return dict(role.tags)
