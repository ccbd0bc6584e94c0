"""The credential report: AWS's columns and values, the four-hour rule, the root row.

AWS's header and value conventions are from the IAM User Guide, "Getting credential reports
for your AWS account" (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest

from gateway import clock
from gateway.errors import ReportExpired, ReportNotPresent
from gateway.models import AccessKey, AuditEvent, RootUser, User
from gateway.services.access_keys import create_access_key, update_access_key
from gateway.services.credential_report import (
    STARTED_NEW,
    STARTED_STALE,
    ReportState,
    generate_credential_report,
    get_credential_report,
)
from gateway.services.login_profiles import create_login_profile
from gateway.services.password_policy import update_account_password_policy
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD
from tests.mfa import enroll

AWS_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """The gateway's clock, stopped at the real now (rows' creation times are real)."""
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        yield fake


async def report_rows(root: Principal) -> dict[str, dict[str, str]]:
    """Generate a report and read it back as rows by user name."""
    await generate_credential_report(root)
    report = await get_credential_report(root)
    return {row["user"]: row for row in csv.DictReader(io.StringIO(report.content))}


async def test_the_header_is_awss_exactly_and_the_root_row_comes_first(root: Principal) -> None:
    await create_user(root, user_name="zed")
    await generate_credential_report(root)

    report = await get_credential_report(root)

    lines = report.content.splitlines()
    assert lines[0] == AWS_HEADER
    assert lines[1].startswith(f"<root_account>,arn:aws:iam::{root.account_id}:root,")
    assert report.report_format == "text/csv"
    assert len(report.rows()) == 2


async def test_the_root_row_says_not_supported_for_its_password_settings(
    root: Principal,
) -> None:
    rows = await report_rows(root)

    row = rows["<root_account>"]
    assert row["password_enabled"] == "not_supported"
    assert row["password_last_used"] == "no_information"
    assert row["password_last_changed"] == "not_supported"
    assert row["password_next_rotation"] == "not_supported"
    assert row["mfa_active"] == "false"
    assert row["access_key_1_active"] == "false"
    assert row["access_key_1_last_rotated"] == "N/A"


async def test_root_sign_in_and_mfa_show_in_its_row(
    root: Principal, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    await RootUser.filter(account_id=root.account_id).update(password_last_used=frozen.now())
    await enroll(root, cipher, None)

    row = (await report_rows(root))["<root_account>"]

    assert row["password_last_used"] == frozen.now().replace(microsecond=0).isoformat()
    assert row["mfa_active"] == "true"


async def test_a_user_without_password_or_keys_is_false_and_not_applicable(
    root: Principal,
) -> None:
    user = await create_user(root, user_name="script")

    row = (await report_rows(root))["script"]

    assert row["arn"] == user.arn
    assert row["user_creation_time"] == user.created_at.replace(microsecond=0).isoformat()
    assert row["user_creation_time"].endswith("+00:00")
    assert row["password_enabled"] == "false"
    assert row["password_last_used"] == "N/A"
    assert row["password_last_changed"] == "N/A"
    assert row["password_next_rotation"] == "N/A"
    assert [row[f"access_key_{n}_active"] for n in (1, 2)] == ["false", "false"]
    assert {row[c] for c in row if c.startswith("access_key") and not c.endswith("active")} == {
        "N/A"
    }
    assert [row["cert_1_active"], row["cert_1_last_rotated"]] == ["false", "N/A"]


async def test_a_password_never_used_is_no_information_and_rotation_follows_the_policy(
    root: Principal, frozen: clock.FrozenClock
) -> None:
    await create_user(root, user_name="jorge")
    await create_login_profile(root, "jorge", password=GOOD_PASSWORD)
    await update_account_password_policy(root, max_password_age=90)

    row = (await report_rows(root))["jorge"]

    assert row["password_enabled"] == "true"
    assert row["password_last_used"] == "no_information"
    changed = frozen.now().replace(microsecond=0)
    assert row["password_last_changed"] == changed.isoformat()
    assert row["password_next_rotation"] == (changed + timedelta(days=90)).isoformat()


async def test_keys_fill_their_slots_oldest_first_and_an_inactive_key_is_not_rotated(
    root: Principal, frozen: clock.FrozenClock
) -> None:
    await create_user(root, user_name="etl")
    first = await create_access_key(root, "etl")
    frozen.advance(minutes=5)
    second = await create_access_key(root, "etl")
    used_at = frozen.now()
    await AccessKey.filter(id=first.key.id).update(
        last_used_at=used_at, last_used_service="gateway"
    )
    await update_access_key(root, second.key.id, "Inactive", "etl")

    row = (await report_rows(root))["etl"]

    assert row["access_key_1_active"] == "true"
    assert (
        row["access_key_1_last_rotated"] == first.key.created_at.replace(microsecond=0).isoformat()
    )
    assert row["access_key_1_last_used_date"] == used_at.replace(microsecond=0).isoformat()
    assert row["access_key_1_last_used_region"] == "N/A"
    assert row["access_key_1_last_used_service"] == "gateway"
    assert row["access_key_2_active"] == "false"
    assert row["access_key_2_last_rotated"] == "N/A"
    assert row["access_key_2_last_used_date"] == "N/A"


async def test_names_with_commas_survive_the_csv(root: Principal) -> None:
    await create_user(root, user_name="ops,night")

    rows = await report_rows(root)

    assert "ops,night" in rows
    assert rows["ops,night"]["arn"].endswith(":user/ops,night")


async def test_the_report_lists_only_the_callers_account(
    root: Principal, other_root: Principal
) -> None:
    await create_user(other_root, user_name="stranger")

    rows = await report_rows(root)

    assert set(rows) == {"<root_account>"}
    assert all(other_root.account_id not in row["arn"] for row in rows.values())


async def test_get_before_any_generation_is_report_not_present(root: Principal) -> None:
    with pytest.raises(ReportNotPresent) as raised:
        await get_credential_report(root)
    assert raised.value.code == "ReportNotPresent"
    assert raised.value.message == (
        "The request was rejected because the credential report does not exist. To generate a "
        "credential report, use GenerateCredentialReport."
    )


async def test_a_report_is_made_at_most_every_four_hours(
    root: Principal, frozen: clock.FrozenClock
) -> None:
    first = await generate_credential_report(root)
    assert (first.state, first.description) == (ReportState.STARTED, STARTED_NEW)
    await create_user(root, user_name="late")

    frozen.advance(hours=3, minutes=59)
    again = await generate_credential_report(root)

    assert again.state is ReportState.COMPLETE
    assert "late" not in (await get_credential_report(root)).content
    assert await AuditEvent.filter(action="iam:GenerateCredentialReport").count() == 1

    frozen.advance(minutes=1)
    with pytest.raises(ReportExpired):
        await get_credential_report(root)
    renewed = await generate_credential_report(root)
    assert (renewed.state, renewed.description) == (ReportState.STARTED, STARTED_STALE)
    report = await get_credential_report(root)
    assert report.generated_at == frozen.now()
    assert "late" in report.content


async def test_a_deleted_user_leaves_the_next_report(root: Principal) -> None:
    await create_user(root, user_name="temp")
    assert "temp" in await report_rows(root)
    await User.filter(name="temp").delete()

    clock_in_five_hours = clock.FrozenClock(clock.SystemClock().now() + timedelta(hours=5))
    with clock.using(clock_in_five_hours):
        assert "temp" not in await report_rows(root)
