"""Findings: unused access (Access Analyzer's types) and the seed's best practices, opening,
updating and resolving themselves; archiving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from gateway import clock
from gateway.errors import ResourceNotFound, ValidationError
from gateway.models import AccessKey, Finding, FindingStatus, User
from gateway.services.access_keys import create_access_key
from gateway.services.findings import FindingFilter, analyse, list_findings, update_findings
from gateway.services.inline_policies import put_user_policy
from gateway.services.login_profiles import create_login_profile
from gateway.services.password_policy import update_account_password_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.seeds import SeedCipher
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, principal_for_user
from tests.mfa import enroll
from tests.services.helpers import Activity

AGE = 30
BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"


def doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def later() -> Iterator[clock.FrozenClock]:
    """The gateway's clock 45 days after the test's entities were made (real now)."""
    fake = clock.FrozenClock(clock.SystemClock().now() + timedelta(days=45))
    with clock.using(fake):
        yield fake


async def open_findings(account_id: str) -> dict[tuple[str, str], Finding]:
    await analyse(account_id, AGE)
    rows = await Finding.filter(account_id=account_id, open_key__isnull=False)
    return {(f.finding_type, f.resource): f for f in rows}


@pytest.fixture
async def jorge(root: Principal) -> User:
    """A cashier with a console password and a policy for the receipts bucket."""
    user = await create_user(root, user_name="jorge")
    await create_login_profile(root, "jorge", password=GOOD_PASSWORD)
    await put_user_policy(
        root,
        user_name="jorge",
        policy_name="Cashier",
        policy_document=doc(
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": BUCKET},
            {"Effect": "Allow", "Action": "pos:*", "Resource": "*"},
        ),
    )
    return user


async def test_a_new_account_is_told_about_root_mfa_and_its_password_policy(
    root: Principal,
) -> None:
    found = await open_findings(root.account_id)

    assert set(found) == {
        ("RootUserWithoutMfa", root.arn),
        ("NoPasswordPolicy", root.arn),
    }
    assert found[("RootUserWithoutMfa", root.arn)].resource_type == "AWS::IAM::RootUser"
    assert found[("NoPasswordPolicy", root.arn)].status == "ACTIVE"


async def test_unused_password_key_and_permissions_after_the_age(
    root: Principal, jorge: User, activity: Activity, later: clock.FrozenClock
) -> None:
    key = await create_access_key(root, "jorge")
    await AccessKey.filter(id=key.key.id).update(created_at=jorge.created_at)
    await activity.use(principal_for_user(jorge), "s3:ListBucket", at=later.now())

    found = await open_findings(root.account_id)

    assert found[("UnusedIAMUserPassword", jorge.arn)].details == [
        {"unusedIamUserPasswordDetails": {"lastAccessed": None}}
    ]
    assert found[("UnusedIAMUserAccessKey", jorge.arn)].details == [
        {"unusedIamUserAccessKeyDetails": {"accessKeyId": key.key.id, "lastAccessed": None}}
    ]
    assert ("ConsoleUserWithoutMfa", jorge.arn) in found
    permission = found[("UnusedPermission", jorge.arn)]
    assert permission.resource_type == "AWS::IAM::User"
    never = {"lastAccessed": None}
    assert permission.details == [
        {"unusedPermissionDetails": {"serviceNamespace": "pos", "lastAccessed": None,
                                     "actions": [{"action": "pos:*", **never}]}},
        {"unusedPermissionDetails": {"serviceNamespace": "s3",
                                     "lastAccessed": later.now().isoformat(),
                                     "actions": [{"action": "s3:PutObject", **never}]}},
    ]  # fmt: skip


async def test_identities_younger_than_the_age_are_not_judged(root: Principal, jorge: User) -> None:
    await create_access_key(root, "jorge")

    found = await open_findings(root.account_id)

    assert {t for t, _ in found} == {
        "RootUserWithoutMfa",
        "NoPasswordPolicy",
        "ConsoleUserWithoutMfa",
    }


async def test_an_unused_role_is_found_and_a_used_one_is_not(
    root: Principal, activity: Activity, later: clock.FrozenClock
) -> None:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": root.account_id},
                 "Action": "sts:AssumeRole"})  # fmt: skip
    idle = await create_role(root, role_name="Idle", assume_role_policy_document=trust)
    busy = await create_role(root, role_name="Busy", assume_role_policy_document=trust)
    await activity.use(Principal.role_session(busy, "s"), "pos:OpenDrawer", at=later.now())

    found = await open_findings(root.account_id)

    assert found[("UnusedIAMRole", idle.arn)].details == [
        {"unusedIamRoleDetails": {"lastAccessed": None}}
    ]
    assert ("UnusedIAMRole", busy.arn) not in found


async def test_root_everyday_use_is_flagged_but_not_setting_up_the_first_user(
    root: Principal, activity: Activity, later: clock.FrozenClock
) -> None:
    await create_user(root, user_name="owner-admin")
    await activity.use(root, "iam:CreateUser", "iam:ChangePassword", at=later.now())
    assert ("RootUserActivity", root.arn) not in await open_findings(root.account_id)

    await create_user(root, user_name="jorge")  # the second user: everyday work
    await activity.use(root, "iam:ListUsers", at=later.now())
    found = await open_findings(root.account_id)

    actions = found[("RootUserActivity", root.arn)].details[0]["rootUserActivityDetails"]
    assert [a["action"] for a in actions["actions"]] == ["iam:CreateUser", "iam:ListUsers"]


async def test_root_access_keys_are_flagged(root: Principal) -> None:
    key = await create_access_key(root, root_keys_allowed=True)

    found = await open_findings(root.account_id)

    assert found[("RootUserAccessKey", root.arn)].details == [
        {"rootUserAccessKeyDetails": {"accessKeyIds": [key.key.id]}}
    ]


async def test_findings_resolve_when_the_cause_goes_and_archived_ones_stay_archived(
    root: Principal, jorge: User, cipher: SeedCipher
) -> None:
    await update_account_password_policy(root, minimum_password_length=8)
    first = await open_findings(root.account_id)
    weak = first[("WeakPasswordPolicy", root.arn)]
    assert weak.details == [
        {"weakPasswordPolicyDetails": {"weaknesses": [
            "MinimumPasswordLength 8 is below 14", "PasswordReusePrevention 0 is below 24"]}}
    ]  # fmt: skip
    no_mfa = first[("ConsoleUserWithoutMfa", jorge.arn)]
    await update_findings(root, [no_mfa.id], FindingStatus.ARCHIVED)

    await update_account_password_policy(
        root, minimum_password_length=14, password_reuse_prevention=24
    )
    await enroll(root, cipher, None)
    second = await open_findings(root.account_id)

    assert (await Finding.get(id=weak.id)).status == "RESOLVED"
    assert (await Finding.get(id=no_mfa.id)).status == "ARCHIVED"
    assert ("RootUserWithoutMfa", root.arn) not in second
    assert second[("ConsoleUserWithoutMfa", jorge.arn)].id == no_mfa.id

    await update_account_password_policy(root, minimum_password_length=6)
    again = await open_findings(root.account_id)
    assert again[("WeakPasswordPolicy", root.arn)].id != weak.id  # a new finding


async def test_list_filters_by_status_type_and_resource(root: Principal, jorge: User) -> None:
    listed = await list_findings(root, age=AGE)
    types = sorted(f.finding_type for f in listed.items)
    assert types == ["ConsoleUserWithoutMfa", "NoPasswordPolicy", "RootUserWithoutMfa"]

    mine = await list_findings(root, age=AGE, criteria=FindingFilter(resource=jorge.arn))
    assert [f.finding_type for f in mine.items] == ["ConsoleUserWithoutMfa"]
    archived = FindingFilter(statuses=(FindingStatus.ARCHIVED,))
    assert (await list_findings(root, age=AGE, criteria=archived)).items == []
    page = await list_findings(root, age=AGE, first=2)
    rest = await list_findings(root, age=AGE, after=page.end_cursor)
    assert [f.id for f in [*page.items, *rest.items]] == sorted(f.id for f in listed.items)
    with pytest.raises(ValidationError):
        await list_findings(root, age=AGE, criteria=FindingFilter(finding_types=("Nope",)))


async def test_updating_findings_follows_awss_rules(
    root: Principal, other_root: Principal, jorge: User
) -> None:
    found = await open_findings(root.account_id)
    theirs = await open_findings(other_root.account_id)
    some_id = next(iter(found.values())).id

    with pytest.raises(ResourceNotFound):
        await update_findings(root, [next(iter(theirs.values())).id], FindingStatus.ARCHIVED)
    with pytest.raises(ValidationError):
        await update_findings(root, [some_id], FindingStatus.RESOLVED)
    with pytest.raises(ValidationError):
        await update_findings(root, [], FindingStatus.ARCHIVED)
    updated = await update_findings(root, [some_id, some_id], FindingStatus.ARCHIVED)
    assert [(f.id, f.status) for f in updated] == [(some_id, "ARCHIVED")]
    back = await update_findings(root, [some_id], FindingStatus.ACTIVE)
    assert back[0].status == "ACTIVE"


async def test_analyses_at_once_open_each_problem_once(root: Principal, jorge: User) -> None:
    await asyncio.gather(*(analyse(root.account_id, AGE) for _ in range(5)))

    keys = await Finding.filter(account_id=root.account_id).values_list("open_key", flat=True)
    assert sorted(keys) == sorted(set(keys))
    assert len(keys) == 3
