"""Versions of managed policies: CreatePolicyVersion … SetDefaultPolicyVersion.

A managed policy keeps up to five versions of its document (`v1`, `v2`, …, numbers never
reused), exactly one of them the default, the one in force. AWS-managed policies have only
the version the gateway ships and refuse every change (see `gateway.services.policies`).
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import F

from gateway.errors import DeleteConflict, LimitExceeded, NoSuchEntity
from gateway.models import ManagedPolicy, PolicyVersion
from gateway.services.policies import (
    MAX_VERSIONS,
    check_policy_arn,
    check_version_id,
    find_policy,
    parse_managed_document,
    policy_not_found,
    writable_policy,
)
from gateway.services.principal import Principal
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreatePolicyVersion"
DELETE = "iam:DeletePolicyVersion"
SET_DEFAULT = "iam:SetDefaultPolicyVersion"


def _version_not_found(policy_arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(
        f"Policy {policy_arn} version {version_id} does not exist or is not attachable."
    )


async def create_policy_version(
    actor: Principal, policy_arn: str, *, policy_document: str, set_as_default: bool = False
) -> PolicyVersion:
    """CreatePolicyVersion: the next `vN` (never a reused number), at most five versions."""
    action = CREATE
    async with audited_precheck(actor, action, policy_arn):
        check_policy_arn(policy_arn)
        parse_managed_document(policy_document)
    async with writing(actor, action, policy_arn) as tx:
        policy = await writable_policy(actor, action, policy_arn, tx.connection)
        versions = PolicyVersion.filter(policy_id=policy.id).using_db(tx.connection)
        if await versions.count() >= MAX_VERSIONS:
            raise LimitExceeded(
                f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a "
                "new version, you must delete an existing version."
            )
        version_id = f"v{policy.next_version_number}"
        updates: dict[str, object] = {"next_version_number": F("next_version_number") + 1}
        if set_as_default:
            await versions.update(is_default=False)
            updates["default_version_id"] = version_id
        await ManagedPolicy.filter(id=policy.id).using_db(tx.connection).update(**updates)
        version = await PolicyVersion.create(
            policy_id=policy.id,
            version_id=version_id,
            document=policy_document,
            is_default=set_as_default,
            using_db=tx.connection,
        )
        tx.details.update(versionId=version_id, setAsDefault=set_as_default)
    return version


async def get_policy_version(actor: Principal, policy_arn: str, version_id: str) -> PolicyVersion:
    """GetPolicyVersion: one version and its document."""
    check_policy_arn(policy_arn)
    check_version_id(version_id)
    policy = await find_policy(actor.account_id, policy_arn)
    if policy is None:
        raise policy_not_found(policy_arn)
    version = await PolicyVersion.filter(policy_id=policy.id, version_id=version_id).first()
    if version is None:
        raise _version_not_found(policy_arn, version_id)
    return version


async def list_policy_versions(actor: Principal, policy_arn: str) -> list[PolicyVersion]:
    """ListPolicyVersions: every version, newest first (at most five, so no pages)."""
    check_policy_arn(policy_arn)
    policy = await find_policy(actor.account_id, policy_arn)
    if policy is None:
        raise policy_not_found(policy_arn)
    return await PolicyVersion.filter(policy_id=policy.id).order_by("-id")


async def delete_policy_version(actor: Principal, policy_arn: str, version_id: str) -> None:
    """DeletePolicyVersion: any version but the default; its number is never reused."""
    action = DELETE
    async with audited_precheck(actor, action, policy_arn):
        check_policy_arn(policy_arn)
        check_version_id(version_id)
    async with writing(actor, action, policy_arn) as tx:
        policy = await writable_policy(actor, action, policy_arn, tx.connection)
        version = (
            await PolicyVersion.filter(policy_id=policy.id, version_id=version_id)
            .using_db(tx.connection)
            .first()
        )
        if version is None:
            raise _version_not_found(policy_arn, version_id)
        if version.is_default:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        await PolicyVersion.filter(id=version.id).using_db(tx.connection).delete()
        tx.details["versionId"] = version_id


async def set_default_policy_version(
    actor: Principal, policy_arn: str, version_id: str
) -> ManagedPolicy:
    """SetDefaultPolicyVersion: put another version in force (a rollback, say)."""
    action = SET_DEFAULT
    async with audited_precheck(actor, action, policy_arn):
        check_policy_arn(policy_arn)
        check_version_id(version_id)
    async with writing(actor, action, policy_arn) as tx:
        policy = await writable_policy(actor, action, policy_arn, tx.connection)
        versions = PolicyVersion.filter(policy_id=policy.id).using_db(tx.connection)
        if not await versions.filter(version_id=version_id).exists():
            raise _version_not_found(policy_arn, version_id)
        await versions.filter(is_default=True).update(is_default=False)
        await versions.filter(version_id=version_id).update(is_default=True)
        policy.default_version_id = version_id
        await policy.save(
            update_fields=["default_version_id", "updated_at"], using_db=tx.connection
        )
        tx.details["versionId"] = version_id
    return policy


async def default_versions(policy_ids: Iterable[str]) -> dict[str, PolicyVersion]:
    """The default version of each policy, by policy id, in one query (for loaders)."""
    ids = list(dict.fromkeys(policy_ids))
    if not ids:
        return {}
    versions = await PolicyVersion.filter(policy_id__in=ids, is_default=True)
    return {version.policy_id: version for version in versions}
