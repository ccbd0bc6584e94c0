"""IAM roles: create, read, list, update, change the trust policy, tag, delete.

A role is an identity without long-term credentials: its trust policy (a `trust`-kind policy
document, at most `TRUST_POLICY_MAX_SIZE` characters without whitespace) says who may assume
it, and its permission policies (attached, inline; gateway.services.attachments and
inline_policies) and permissions boundary (gateway.services.boundaries) say what its sessions
may do. Role names are unique in the account ignoring case, like user names; sessions last at
most `max_session_duration` seconds, between one and twelve hours.

Writes follow the identities' pattern (gateway.services.identities): input is validated and the role
looked up before the transaction, the role is read again, locked, inside it, and the write and
its audit event commit together. Deleting a role ends its sessions (they cascade).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from gateway import arns
from gateway.arns import parse_arn
from gateway.errors import (
    DeleteConflict,
    LimitExceeded,
    MalformedPolicyDocument,
    from_policy_error,
)
from gateway.ids import ROLE_PREFIX, new_unique_id
from gateway.models import Account, EntityKind, InlinePolicy, PolicyAttachment, Role, User
from gateway.policy import Policy, PolicyValidationError, parse_policy, policy_size
from gateway.services import identities
from gateway.services import tags as tagging
from gateway.services.identities import (
    ROLE,
    attachable_policy,
    attempted_arn,
    count_boundary_use,
    page_by_name,
    reload,
    under_path,
)
from gateway.services.pagination import Page
from gateway.services.principal import Principal
from gateway.services.validation import (
    check_length,
    check_name,
    check_path,
    check_range,
    violation,
)
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreateRole"
UPDATE = "iam:UpdateRole"
UPDATE_TRUST = "iam:UpdateAssumeRolePolicy"
DELETE = "iam:DeleteRole"

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
    return await identities.by_name(ROLE, account_id, role_name, using=using)


async def create_role(
    actor: Principal,
    *,
    role_name: str,
    assume_role_policy_document: str,
    path: str = "/",
    description: str = "",
    max_session_duration: int = MIN_SESSION_DURATION,
    tags: tagging.TagsIn | None = None,
    permissions_boundary: str | None = None,
) -> Role:
    """Create a role with the given trust policy and no permissions.

    EntityAlreadyExists if the name is taken (ignoring case), LimitExceeded past
    `ROLES_PER_ACCOUNT`; the trust policy is checked by `check_trust_policy`;
    `permissions_boundary` must name a policy the account can attach (NoSuchEntity
    otherwise), whose boundary usage count goes up by one.
    """
    action = CREATE
    account_id = actor.account_id
    async with audited_precheck(actor, action, _attempted(account_id, role_name, path)):
        check_name(role_name, "roleName", maximum=MAX_ROLE_NAME)
        check_path(path)
        _check_description(description)
        _check_duration(max_session_duration)
        new_tags = tagging.checked(tags or {})
        if permissions_boundary is not None:
            check_length(permissions_boundary, "permissionsBoundary", minimum=20, maximum=2048)
        await check_trust_policy(assume_role_policy_document, "assumeRolePolicyDocument")

    arn = arns.role_arn(account_id, path, role_name)
    async with writing(actor, action, arn, changes_policies=False) as tx:
        conn = tx.connection
        taken = Role.filter(account_id=account_id, name_lower=role_name.lower()).using_db(conn)
        if await taken.exists():
            raise ROLE.exists(role_name)
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
            raise ROLE.exists(role_name) from error
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
    action = UPDATE
    account_id = actor.account_id
    async with audited_precheck(actor, action, _attempted(account_id, role_name)):
        if description is not None:
            _check_description(description)
        if max_session_duration is not None:
            _check_duration(max_session_duration)
        role = await role_by_name(account_id, role_name)

    async with writing(actor, action, role.arn, changes_policies=False) as tx:
        role = await reload(ROLE, role, tx.connection)
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
    action = UPDATE_TRUST
    account_id = actor.account_id
    async with audited_precheck(actor, action, _attempted(account_id, role_name)):
        check_name(role_name, "roleName", maximum=MAX_ROLE_NAME)
        await check_trust_policy(policy_document, "policyDocument")
        role = await role_by_name(account_id, role_name)

    async with writing(actor, action, role.arn) as tx:
        role = await reload(ROLE, role, tx.connection)
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
    action = DELETE
    async with audited_precheck(actor, action, _attempted(actor.account_id, role_name)):
        role = await role_by_name(actor.account_id, role_name)

    async with writing(actor, action, role.arn) as tx:
        conn = tx.connection
        role = await reload(ROLE, role, conn)
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


async def tag_role(actor: Principal, role_name: str, tags: tagging.TagsIn) -> Role:
    """TagRole: add tags to the role, replacing those with the same key (keys compare ignoring
    case, the new key's case wins); the rules are gateway.services.tags'."""
    return await identities.tag(actor, ROLE, role_name, tags)


async def untag_role(actor: Principal, role_name: str, tag_keys: Sequence[str]) -> Role:
    """UntagRole: remove the tags with these keys (ignoring case); absent keys are ignored."""
    return await identities.untag(actor, ROLE, role_name, tag_keys)


async def list_role_tags(actor: Principal, role_name: str) -> dict[str, str]:
    """The role's tags, key to value."""
    role = await get_role(actor, role_name)
    return dict(role.tags)
