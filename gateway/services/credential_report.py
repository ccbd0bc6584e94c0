"""The credential report: GenerateCredentialReport and GetCredentialReport.

One CSV row per identity with a password, access keys or MFA, in AWS's exact columns and
order (`COLUMNS`; IAM User Guide, "Getting credential reports for your AWS account"): the root
user first as `<root_account>`, then every IAM user by name. Values are written as AWS writes
them: timestamps in ISO 8601 with seconds and `+00:00`, booleans `true`/`false`, `N/A` where
a value does not apply (no password, no key, a key never used, any region: the gateway has
none), `no_information` for a password never used, `not_supported` for the root user's
password settings. The gateway has no X.509 signing certificates: `cert_*` are always
`false`/`N/A`.

As in AWS, a report is made at most once every `REPORT_LIFETIME` (four hours): generating
again within it answers COMPLETE and keeps the report; later, or with no report, it answers
STARTED and makes a new one. The gateway makes it at once (the data is local), so it is ready
for the next GetCredentialReport; a report older than its lifetime is ReportExpired, none at
all ReportNotPresent.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from gateway import arns, clock
from gateway.errors import ReportExpired, ReportNotPresent
from gateway.models import (
    AccessKey,
    AccessKeyStatus,
    CredentialReport,
    LoginProfile,
    MfaDevice,
    RootUser,
    User,
)
from gateway.services.breathing import Breather, all_of, all_values
from gateway.services.password_policy import policy_for
from gateway.services.principal import Principal
from gateway.services.writes import writing

COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
"""AWS's columns, in AWS's order."""

ROOT_USER = "<root_account>"
NOT_APPLICABLE = "N/A"
NO_INFORMATION = "no_information"
NOT_SUPPORTED = "not_supported"
REPORT_FORMAT = "text/csv"
REPORT_LIFETIME = timedelta(hours=4)

GENERATE = "iam:GenerateCredentialReport"
STARTED_NEW = "No report exists. Starting a new report generation task"
STARTED_STALE = (
    "The latest report is more than four hours old. Starting a new report generation task"
)
COMPLETE = "A report generated less than four hours ago exists: get it with GetCredentialReport."
NOT_PRESENT = (
    "The request was rejected because the credential report does not exist. To generate a "
    "credential report, use GenerateCredentialReport."
)
EXPIRED = (
    "The request was rejected because the most recent credential report has expired. To "
    "generate a new credential report, use GenerateCredentialReport."
)


class ReportState(StrEnum):
    """GenerateCredentialReport's `State`."""

    STARTED = "STARTED"
    INPROGRESS = "INPROGRESS"
    COMPLETE = "COMPLETE"


@dataclass(frozen=True, slots=True)
class Generation:
    """GenerateCredentialReport's answer."""

    state: ReportState
    description: str


@dataclass(frozen=True, slots=True)
class Report:
    """GetCredentialReport's answer: the CSV and when it was generated."""

    content: str
    generated_at: datetime
    report_format: str = REPORT_FORMAT

    def rows(self) -> list[dict[str, str]]:
        """The report's rows, one mapping of column to value each (read with `csv`)."""
        return list(csv.DictReader(io.StringIO(self.content)))


def timestamp(moment: datetime) -> str:
    """A time as the credential report writes it: `2026-01-01T12:00:00+00:00`."""
    return moment.replace(microsecond=0).isoformat()


def _when(moment: datetime | None, missing: str = NOT_APPLICABLE) -> str:
    return timestamp(moment) if moment is not None else missing


def _flag(value: bool) -> str:
    return "true" if value else "false"


async def generate_credential_report(actor: Principal) -> Generation:
    """Make a new report unless one younger than four hours exists (AWS's rule)."""
    now = clock.now()
    existing = await CredentialReport.get_or_none(account_id=actor.account_id)
    if existing is not None and now - existing.generated_at < REPORT_LIFETIME:
        return Generation(ReportState.COMPLETE, COMPLETE)
    # Read and written out before the write: on SQLite a transaction holds the one
    # connection, and every other request's queries would wait for the whole report.
    content = await _content(actor.account_id)
    async with writing(
        actor, GENERATE, "*", changes_permissions=False, changes_sessions=False
    ) as tx:
        await _store(actor.account_id, content, now, tx.connection)
        tx.details["generatedTime"] = timestamp(now)
    return Generation(ReportState.STARTED, STARTED_NEW if existing is None else STARTED_STALE)


async def get_credential_report(actor: Principal) -> Report:
    """The account's latest report; ReportNotPresent or ReportExpired otherwise."""
    stored = await CredentialReport.get_or_none(account_id=actor.account_id)
    if stored is None:
        raise ReportNotPresent(NOT_PRESENT)
    if clock.now() - stored.generated_at >= REPORT_LIFETIME:
        raise ReportExpired(EXPIRED)
    return Report(stored.content, stored.generated_at)


async def _store(account_id: str, content: str, now: datetime, conn: BaseDBAsyncClient) -> None:
    updated = (
        await CredentialReport.filter(account_id=account_id)
        .using_db(conn)
        .update(content=content, generated_at=now)
    )
    if updated:
        return
    try:
        await CredentialReport.create(
            account_id=account_id, content=content, generated_at=now, using_db=conn
        )
    except IntegrityError:
        # Another replica created it meanwhile: the later report wins.
        await (
            CredentialReport.filter(account_id=account_id)
            .using_db(conn)
            .update(content=content, generated_at=now)
        )


async def _content(account_id: str) -> str:
    """The CSV for the account as it is now (a few queries per page of rows read; see
    `gateway.services.breathing`), letting the event loop breathe on a big account."""
    breather = Breather()
    root = await RootUser.filter(account_id=account_id).get()
    users = await all_of(User.filter(account_id=account_id), breather)
    users.sort(key=lambda u: (u.name.lower(), u.name))
    profiles = {
        p.user_id: p
        for p in await all_of(LoginProfile.filter(user__account_id=account_id), breather)
    }
    keys = await all_of(AccessKey.filter(account_id=account_id), breather)
    keys.sort(key=lambda k: (k.created_at, k.id))
    keys_of: dict[str | None, list[AccessKey]] = defaultdict(list)
    for key in keys:
        keys_of[key.user_id].append(key)
    enabled = MfaDevice.filter(account_id=account_id, enabled_at__isnull=False)
    with_mfa = {
        str(user_id)
        for (user_id,) in await all_values(
            enabled.filter(user_id__isnull=False), "user_id", breather=breather
        )
    }
    root_mfa = await enabled.filter(root_id=root.id).exists()
    policy = await policy_for(account_id)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    root_keys = [k for k in keys if k.root_id == root.id]
    writer.writerow(
        [
            ROOT_USER,
            arns.root_arn(account_id),
            timestamp(root.created_at),
            NOT_SUPPORTED,
            _when(root.password_last_used, NO_INFORMATION),
            NOT_SUPPORTED,
            NOT_SUPPORTED,
            _flag(root_mfa),
            *_key_columns(root_keys),
            *_certificate_columns(),
        ]
    )
    for user in users:
        await breather.breathe()
        profile = profiles.get(user.id)
        changed = (profile.password_changed_at or profile.created_at) if profile else None
        rotation = NOT_APPLICABLE
        if changed is not None and policy.max_password_age is not None:
            rotation = timestamp(changed + timedelta(days=policy.max_password_age))
        writer.writerow(
            [
                user.name,
                user.arn,
                timestamp(user.created_at),
                _flag(profile is not None),
                _when(user.password_last_used, NO_INFORMATION) if profile else NOT_APPLICABLE,
                _when(changed),
                rotation,
                _flag(user.id in with_mfa),
                *_key_columns(keys_of.get(user.id, [])),
                *_certificate_columns(),
            ]
        )
    return out.getvalue()


def _key_columns(keys: list[AccessKey]) -> list[str]:
    """The five columns of each of the first two keys (oldest first)."""
    columns: list[str] = []
    for slot in range(2):
        key = keys[slot] if slot < len(keys) else None
        active = key is not None and key.status == AccessKeyStatus.ACTIVE.value
        used = key.last_used_at if key is not None else None
        service = key.last_used_service if key is not None and used is not None else None
        columns += [
            _flag(active),
            # AWS: "If the user does not have an active access key, the value is N/A."
            timestamp(key.created_at) if key is not None and active else NOT_APPLICABLE,
            _when(used),
            NOT_APPLICABLE,  # region: the gateway has no regions
            service or NOT_APPLICABLE,
        ]
    return columns


def _certificate_columns() -> list[str]:
    return ["false", NOT_APPLICABLE, "false", NOT_APPLICABLE]
