"""Last accessed (Access Advisor): when a user, group, role or policy's services were used."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.last_accessed import (
    AccessAdvisorUsageGranularity,
    ServiceLastAccessedDetails,
)
from gateway.services import last_accessed

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class LastAccessedQueries:
    @strawberry.field(
        description="A last-accessed report made by generateServiceLastAccessedDetails "
        "(GetServiceLastAccessedDetails); only the caller that generated it may read it.",
        extensions=[authorize(last_accessed.GET, "*")],
    )
    async def service_last_accessed_details(
        self, info: Info, job_id: str
    ) -> ServiceLastAccessedDetails | None:
        report = await last_accessed.get_service_last_accessed_details(
            await info.context.principal(), job_id
        )
        return ServiceLastAccessedDetails.from_report(report)


@strawberry.type
class LastAccessedMutations:
    @strawberry.mutation(
        description="Report, for each service the policies of a user, group, role or managed "
        "policy grant, when it was last used and by whom (GenerateServiceLastAccessedDetails); "
        "the job id for serviceLastAccessedDetails.",
        extensions=[authorize(last_accessed.GENERATE, "{arn}")],
    )
    async def generate_service_last_accessed_details(
        self,
        info: Info,
        arn: str,
        granularity: AccessAdvisorUsageGranularity = AccessAdvisorUsageGranularity.SERVICE_LEVEL,
    ) -> str | None:
        return await last_accessed.generate_service_last_accessed_details(
            await info.context.principal(), arn, last_accessed.Granularity(granularity.value)
        )
