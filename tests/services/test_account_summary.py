"""GetAccountSummary: AWS's keys, the account's counts, AWS's default quotas.

Keys are the `summaryKeyType` enum of IAM's API model (botocore
`botocore/data/iam/2010-05-08/service-2.json`).
"""

from __future__ import annotations

from gateway.models import AccessKey, AccessKeyStatus, EntityKind, RootUser
from gateway.services.account_summary import get_account_summary
from gateway.services.groups import create_group
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.users import create_user
from tests.mfa import enroll
from tests.services.helpers import attach, make_policy

AWS_KEYS = [
    "Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates",
    "ServerCertificatesQuota", "UserPolicySizeQuota", "GroupPolicySizeQuota",
    "GroupsPerUserQuota", "SigningCertificatesPerUserQuota", "AccessKeysPerUserQuota",
    "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
    "AccountPasswordPresent", "AccountSigningCertificatesPresent",
    "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota",
    "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota", "PolicySizeQuota",
    "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota",
    "GlobalEndpointTokenVersion", "AssumeRolePolicySizeQuota", "InstanceProfiles",
    "InstanceProfilesQuota", "Providers", "RolePolicySizeQuota", "Roles", "RolesQuota",
]  # fmt: skip


async def test_the_summary_has_every_aws_key_in_order_and_the_default_quotas(
    root: Principal,
) -> None:
    summary = await get_account_summary(root)

    assert list(summary) == AWS_KEYS
    assert summary["UsersQuota"] == 5000
    assert summary["GroupsPerUserQuota"] == 10
    assert summary["AccessKeysPerUserQuota"] == 2
    assert summary["PolicySizeQuota"] == 6144
    assert summary["UserPolicySizeQuota"] == 2048
    assert summary["GroupPolicySizeQuota"] == 5120
    assert summary["RolePolicySizeQuota"] == 10240
    assert summary["VersionsPerPolicyQuota"] == 5
    assert summary["AssumeRolePolicySizeQuota"] == 2048
    assert summary["RolesQuota"] == 1000
    assert summary["AccountPasswordPresent"] == 1
    assert summary["Users"] == summary["Groups"] == summary["Policies"] == 0
    assert summary["AccountMFAEnabled"] == summary["AccountAccessKeysPresent"] == 0


async def test_counts_follow_the_account_and_ignore_other_accounts(
    root: Principal, other_root: Principal, cipher: SeedCipher
) -> None:
    alice = await create_user(root, user_name="alice")
    await create_user(root, user_name="bob")
    await create_user(other_root, user_name="carol")
    group = await create_group(root, group_name="Cashiers")
    policy = await make_policy(root.account_id, "Receipts")
    await attach(policy, EntityKind.USER, alice.id)
    await attach(policy, EntityKind.GROUP, group.id)
    await enroll(root, cipher, None)
    await enroll(root, cipher, "bob", name="bob-phone")
    await AccessKey.create(
        id="AKIAROOTKEYEXAMPLE01",
        account_id=root.account_id,
        root_id=(await RootUser.get(account_id=root.account_id)).id,
        secret_hash="x",
        status=AccessKeyStatus.ACTIVE.value,
        created_at=alice.created_at,
    )

    summary = await get_account_summary(root)

    assert summary["Users"] == 2
    assert summary["Groups"] == 1
    assert summary["Policies"] == 1
    assert summary["PolicyVersionsInUse"] == 2
    assert summary["MFADevices"] == summary["MFADevicesInUse"] == 2
    assert summary["AccountMFAEnabled"] == 1
    assert summary["AccountAccessKeysPresent"] == 1
    assert (await get_account_summary(other_root))["Users"] == 1
