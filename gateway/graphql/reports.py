"""Account-wide reports: the credential report and the account summary."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.reports import (
    AccountSummary,
    CredentialReport,
    CredentialReportGeneration,
    ReportState,
)
from gateway.services import account_summary, credential_report

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="The account's latest credential report (GetCredentialReport): "
        "ReportNotPresent before one was generated, ReportExpired four hours after.",
        extensions=[authorize("iam:GetCredentialReport", "*")],
    )
    async def credential_report(self, info: Info) -> CredentialReport | None:
        report = await credential_report.get_credential_report(await info.context.principal())
        return CredentialReport.from_report(report)

    @strawberry.field(
        description="Entity counts and quotas of the account (GetAccountSummary).",
        extensions=[authorize("iam:GetAccountSummary", "*")],
    )
    async def account_summary(self, info: Info) -> AccountSummary | None:
        summary = await account_summary.get_account_summary(await info.context.principal())
        return AccountSummary.from_map(summary)


@strawberry.type
class ReportMutations:
    @strawberry.mutation(
        description="Generate the credential report (GenerateCredentialReport): at most one "
        "every four hours; STARTED when a new one is made, COMPLETE when a recent one exists.",
        extensions=[authorize(credential_report.GENERATE, "*")],
    )
    async def generate_credential_report(self, info: Info) -> CredentialReportGeneration | None:
        generation = await credential_report.generate_credential_report(
            await info.context.principal()
        )
        return CredentialReportGeneration(
            state=ReportState(generation.state.value), description=generation.description
        )
