"""The credential report and the account summary as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gateway.services import credential_report
from gateway.services.credential_report import NO_INFORMATION, NOT_APPLICABLE, NOT_SUPPORTED

_ABSENT = frozenset({NOT_APPLICABLE, NO_INFORMATION, NOT_SUPPORTED})


@strawberry.enum(description="GenerateCredentialReport's State.")
class ReportState(Enum):
    STARTED = "STARTED"
    INPROGRESS = "INPROGRESS"
    COMPLETE = "COMPLETE"


@strawberry.type(description="GenerateCredentialReport's answer.")
class CredentialReportGeneration:
    state: ReportState
    description: str


def _time(value: str) -> datetime | None:
    return None if value in _ABSENT else datetime.fromisoformat(value)


def _flag(value: str) -> bool | None:
    return None if value in _ABSENT else value == "true"


def _text(value: str) -> str | None:
    return None if value in _ABSENT else value


@strawberry.type(
    description="One row of the credential report, typed: a time or flag that the CSV writes "
    "as N/A, no_information or not_supported is null here (the CSV keeps which)."
)
class CredentialReportRow:
    user: str
    arn: str
    user_creation_time: datetime | None
    password_enabled: bool | None
    password_last_used: datetime | None
    password_last_changed: datetime | None
    password_next_rotation: datetime | None
    mfa_active: bool | None
    access_key_1_active: bool | None
    access_key_1_last_rotated: datetime | None
    access_key_1_last_used_date: datetime | None
    access_key_1_last_used_region: str | None
    access_key_1_last_used_service: str | None
    access_key_2_active: bool | None
    access_key_2_last_rotated: datetime | None
    access_key_2_last_used_date: datetime | None
    access_key_2_last_used_region: str | None
    access_key_2_last_used_service: str | None
    cert_1_active: bool | None
    cert_1_last_rotated: datetime | None
    cert_2_active: bool | None
    cert_2_last_rotated: datetime | None

    @classmethod
    def from_csv(cls, row: dict[str, str]) -> CredentialReportRow:
        """A CSV row (column → text) typed."""
        values: dict[str, object] = {"user": row["user"], "arn": row["arn"]}
        for column in credential_report.COLUMNS[2:]:
            text = row[column]
            if column.endswith(("_active", "_enabled")):
                values[column] = _flag(text)
            elif column.endswith(("_region", "_service")):
                values[column] = _text(text)
            else:
                values[column] = _time(text)
        return cls(**values)  # type: ignore[arg-type]


@strawberry.type(description="GetCredentialReport's answer: AWS's CSV, and its rows typed.")
class CredentialReport:
    content: str = strawberry.field(
        description="The report as AWS's CSV (header first), as text; AWS sends it base64-encoded."
    )
    report_format: str = strawberry.field(description="text/csv")
    generated_time: datetime
    rows: list[CredentialReportRow]

    @classmethod
    def from_report(cls, report: credential_report.Report) -> CredentialReport:
        """The service's report as a GraphQL object."""
        return cls(
            content=report.content,
            report_format=report.report_format,
            generated_time=report.generated_at,
            rows=[CredentialReportRow.from_csv(row) for row in report.rows()],
        )


@strawberry.type(description="One entry of GetAccountSummary's SummaryMap.")
class SummaryEntry:
    key: str
    value: int


@strawberry.type(description="GetAccountSummary: entity counts and quotas of the account.")
class AccountSummary:
    summary_map: list[SummaryEntry] = strawberry.field(
        description="AWS's SummaryMap, every key in the order of IAM's API model."
    )

    @classmethod
    def from_map(cls, summary: dict[str, int]) -> AccountSummary:
        """The service's summary as a GraphQL object."""
        return cls(summary_map=[SummaryEntry(key=k, value=v) for k, v in summary.items()])
