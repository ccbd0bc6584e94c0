"""Last accessed (GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails) for a
user, a group, a role and a managed policy, from recorded access activity."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gateway import clock
from gateway.errors import InvalidInput, NoSuchEntity, ValidationError
from gateway.models import AuditEvent, User
from gateway.services.attachments import attach_group_policy, attach_role_policy
from gateway.services.groups import add_user_to_group, create_group
from gateway.services.last_accessed import (
    Granularity,
    LastAccessedReport,
    generate_service_last_accessed_details,
    get_service_last_accessed_details,
)
from gateway.services.policies import create_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role
from gateway.services.users import create_user
from tests.helpers import principal_for_user
from tests.services.helpers import Activity

BUCKET = "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"
RECEIPTS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": BUCKET},
            {"Effect": "Allow", "Action": "pos:*", "Resource": "*"},
        ],
    }
)


@pytest.fixture
async def shop(root: Principal) -> dict[str, User]:
    """Cashiers jorge and maria, in group Cashiers with the CashierReceipts policy."""
    policy = await create_policy(root, policy_name="CashierReceipts", policy_document=RECEIPTS)
    await create_group(root, group_name="Cashiers")
    await attach_group_policy(root, group_name="Cashiers", policy_arn=policy.arn)
    users = {}
    for name in ("jorge", "maria"):
        users[name] = await create_user(root, user_name=name)
        await add_user_to_group(root, group_name="Cashiers", user_name=name)
    return users


async def report(
    actor: Principal, arn: str, granularity: Granularity = Granularity.SERVICE_LEVEL
) -> LastAccessedReport:
    job_id = await generate_service_last_accessed_details(actor, arn, granularity)
    return await get_service_last_accessed_details(actor, job_id)


async def test_a_users_report_lists_each_granted_service_and_its_last_use(
    root: Principal, shop: dict[str, User], activity: Activity
) -> None:
    jorge = principal_for_user(shop["jorge"])
    used_at = clock.now() - timedelta(days=3)
    await activity.use(jorge, "s3:ListBucket", at=used_at)
    await activity.use(jorge, "iam:GetUser")  # granted by nothing he has: not his policies'

    got = await report(root, shop["jorge"].arn)

    assert got.job_status == "COMPLETED"
    event = await AuditEvent.filter(action="iam:GenerateServiceLastAccessedDetails").get()
    assert (event.resource, event.details["jobId"]) == (shop["jorge"].arn, got.job_id)
    assert [s.service_namespace for s in got.services_last_accessed] == ["pos", "s3"]
    s3 = got.services_last_accessed[1]
    assert s3.service_name == "Amazon S3"
    assert s3.last_authenticated == used_at
    assert s3.last_authenticated_entity == shop["jorge"].arn
    assert s3.total_authenticated_entities == 1
    assert s3.tracked_actions_last_accessed is None
    assert got.never_used() == ["pos"]


async def test_action_level_lists_granted_actions_used_or_not(
    root: Principal, shop: dict[str, User], activity: Activity
) -> None:
    await activity.use(principal_for_user(shop["jorge"]), "s3:listbucket")

    got = await report(root, shop["jorge"].arn, Granularity.ACTION_LEVEL)

    s3 = got.services_last_accessed[1]
    assert s3.tracked_actions_last_accessed is not None
    tracked = {t.action_name: t.last_accessed_time for t in s3.tracked_actions_last_accessed}
    assert set(tracked) == {"ListBucket", "PutObject"}
    assert tracked["PutObject"] is None
    assert tracked["ListBucket"] is not None


async def test_a_groups_report_names_the_member_who_used_a_service_last(
    root: Principal, shop: dict[str, User], activity: Activity
) -> None:
    now = clock.now()
    await activity.use(
        principal_for_user(shop["jorge"]), "s3:ListBucket", at=now - timedelta(days=1)
    )
    await activity.use(principal_for_user(shop["maria"]), "s3:PutObject", at=now)

    got = await report(root, f"arn:aws:iam::{root.account_id}:group/Cashiers")

    s3 = got.services_last_accessed[1]
    assert s3.last_authenticated_entity == shop["maria"].arn
    assert s3.total_authenticated_entities == 2


async def test_a_policys_report_counts_every_entity_it_is_attached_to(
    root: Principal, shop: dict[str, User], activity: Activity
) -> None:
    allow_account = {
        "Effect": "Allow",
        "Principal": {"AWS": root.account_id},
        "Action": "sts:AssumeRole",
    }
    trust = json.dumps({"Version": "2012-10-17", "Statement": [allow_account]})
    role = await create_role(root, role_name="Till", assume_role_policy_document=trust)
    policy_arn = f"arn:aws:iam::{root.account_id}:policy/CashierReceipts"
    await attach_role_policy(root, role_name="Till", policy_arn=policy_arn)
    session = Principal.role_session(role, "till-1")
    await activity.use(session, "pos:OpenDrawer")
    await activity.use(principal_for_user(shop["maria"]), "pos:Refund")

    by_policy = await report(root, policy_arn)
    by_role = await report(root, role.arn)

    pos = by_policy.services_last_accessed[0]
    assert pos.total_authenticated_entities == 2
    assert by_role.services_last_accessed[0].last_authenticated_entity == role.arn
    assert by_role.never_used() == ["s3"]


async def test_only_the_caller_that_generated_a_report_reads_it(
    root: Principal, shop: dict[str, User]
) -> None:
    job_id = await generate_service_last_accessed_details(root, shop["jorge"].arn)

    with pytest.raises(NoSuchEntity):
        await get_service_last_accessed_details(principal_for_user(shop["maria"]), job_id)
    with pytest.raises(InvalidInput):
        await get_service_last_accessed_details(root, "not-a-job")


async def test_reports_name_only_entities_of_the_callers_account(
    root: Principal, other_root: Principal, shop: dict[str, User]
) -> None:
    with pytest.raises(NoSuchEntity):
        await generate_service_last_accessed_details(other_root, shop["jorge"].arn)
    with pytest.raises(InvalidInput):
        await generate_service_last_accessed_details(root, f"arn:aws:iam::{root.account_id}:root")


async def test_an_arn_longer_than_awss_limit_is_a_validation_error(root: Principal) -> None:
    with pytest.raises(ValidationError):
        await generate_service_last_accessed_details(root, "arn:aws:iam::1:user/" + "x" * 2048)
