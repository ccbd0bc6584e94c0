"""GetAccountSummary: the account's entity counts and quotas, under AWS's `SummaryMap` keys.

Counts are read from the database; quotas are the gateway's own (the same constants the
services enforce), which are AWS's defaults. Entities the gateway does not have (server and
signing certificates, instance profiles, identity providers) are counted as 0, with AWS's
quotas, so that tools reading every key find it. `GlobalEndpointTokenVersion` is AWS's
default, 1.
"""

from __future__ import annotations

from tortoise.expressions import Subquery

from gateway.models import (
    AccessKey,
    EntityKind,
    Group,
    ManagedPolicy,
    MfaDevice,
    PolicyAttachment,
    Role,
    RootUser,
    User,
)
from gateway.services.access_keys import ACCESS_KEYS_PER_USER
from gateway.services.groups import GROUPS_PER_USER
from gateway.services.identities import (
    GROUP,
    POLICIES_PER_GROUP,
    POLICIES_PER_ROLE,
    POLICIES_PER_USER,
    ROLE,
    USER,
)
from gateway.services.policies import MANAGED_POLICY_MAX_SIZE, MAX_VERSIONS
from gateway.services.principal import Principal
from gateway.services.roles import ROLES_PER_ACCOUNT, TRUST_POLICY_MAX_SIZE
from gateway.services.users import USERS_PER_ACCOUNT

GROUPS_QUOTA = 300
POLICIES_QUOTA = 1500
POLICY_VERSIONS_IN_USE_QUOTA = 10000
SERVER_CERTIFICATES_QUOTA = 20
SIGNING_CERTIFICATES_PER_USER_QUOTA = 2
INSTANCE_PROFILES_QUOTA = 1000
GLOBAL_ENDPOINT_TOKEN_VERSION = 1

KEYS = (
    "Users",
    "UsersQuota",
    "Groups",
    "GroupsQuota",
    "ServerCertificates",
    "ServerCertificatesQuota",
    "UserPolicySizeQuota",
    "GroupPolicySizeQuota",
    "GroupsPerUserQuota",
    "SigningCertificatesPerUserQuota",
    "AccessKeysPerUserQuota",
    "MFADevices",
    "MFADevicesInUse",
    "AccountMFAEnabled",
    "AccountAccessKeysPresent",
    "AccountPasswordPresent",
    "AccountSigningCertificatesPresent",
    "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota",
    "AttachedPoliciesPerUserQuota",
    "Policies",
    "PoliciesQuota",
    "PolicySizeQuota",
    "PolicyVersionsInUse",
    "PolicyVersionsInUseQuota",
    "VersionsPerPolicyQuota",
    "GlobalEndpointTokenVersion",
    "AssumeRolePolicySizeQuota",
    "InstanceProfiles",
    "InstanceProfilesQuota",
    "Providers",
    "RolePolicySizeQuota",
    "Roles",
    "RolesQuota",
)
"""Every key of AWS's summaryKeyType, in the order of IAM's API model."""


async def get_account_summary(actor: Principal) -> dict[str, int]:
    """The SummaryMap of the caller's account: every key of `KEYS`, with its value."""
    account_id = actor.account_id
    root = await RootUser.get(account_id=account_id)
    devices = MfaDevice.filter(account_id=account_id)
    # AWS's PolicyVersionsInUse: "the number of managed policies attached to entities", i.e.
    # attachments of the account's own and of AWS-managed policies to its identities.
    attached = 0
    for kind, model in (
        (EntityKind.USER, User),
        (EntityKind.GROUP, Group),
        (EntityKind.ROLE, Role),
    ):
        ids = Subquery(model.filter(account_id=account_id).values("id"))
        attached += await PolicyAttachment.filter(entity_kind=kind.value, entity_id__in=ids).count()
    summary = {
        "Users": await User.filter(account_id=account_id).count(),
        "UsersQuota": USERS_PER_ACCOUNT,
        "Groups": await Group.filter(account_id=account_id).count(),
        "GroupsQuota": GROUPS_QUOTA,
        "ServerCertificates": 0,
        "ServerCertificatesQuota": SERVER_CERTIFICATES_QUOTA,
        "UserPolicySizeQuota": USER.inline_size,
        "GroupPolicySizeQuota": GROUP.inline_size,
        "GroupsPerUserQuota": GROUPS_PER_USER,
        "SigningCertificatesPerUserQuota": SIGNING_CERTIFICATES_PER_USER_QUOTA,
        "AccessKeysPerUserQuota": ACCESS_KEYS_PER_USER,
        "MFADevices": await devices.count(),
        "MFADevicesInUse": await devices.filter(enabled_at__isnull=False).count(),
        "AccountMFAEnabled": int(
            await devices.filter(root_id=root.id, enabled_at__isnull=False).exists()
        ),
        "AccountAccessKeysPresent": int(await AccessKey.filter(root_id=root.id).exists()),
        "AccountPasswordPresent": 1,  # the root user always has a password here
        "AccountSigningCertificatesPresent": 0,
        "AttachedPoliciesPerGroupQuota": POLICIES_PER_GROUP,
        "AttachedPoliciesPerRoleQuota": POLICIES_PER_ROLE,
        "AttachedPoliciesPerUserQuota": POLICIES_PER_USER,
        "Policies": await ManagedPolicy.filter(account_id=account_id).count(),
        "PoliciesQuota": POLICIES_QUOTA,
        "PolicySizeQuota": MANAGED_POLICY_MAX_SIZE,
        "PolicyVersionsInUse": attached,
        "PolicyVersionsInUseQuota": POLICY_VERSIONS_IN_USE_QUOTA,
        "VersionsPerPolicyQuota": MAX_VERSIONS,
        "GlobalEndpointTokenVersion": GLOBAL_ENDPOINT_TOKEN_VERSION,
        "AssumeRolePolicySizeQuota": TRUST_POLICY_MAX_SIZE,
        "InstanceProfiles": 0,
        "InstanceProfilesQuota": INSTANCE_PROFILES_QUOTA,
        "Providers": 0,
        "RolePolicySizeQuota": ROLE.inline_size,
        "Roles": await Role.filter(account_id=account_id).count(),
        "RolesQuota": ROLES_PER_ACCOUNT,
    }
    return {key: summary[key] for key in KEYS}
