"""Last-accessed reports (GetServiceLastAccessedDetails) as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gateway.services import last_accessed


@strawberry.enum(description="SERVICE_LEVEL, or ACTION_LEVEL with each service's actions.")
class AccessAdvisorUsageGranularity(Enum):
    SERVICE_LEVEL = "SERVICE_LEVEL"
    ACTION_LEVEL = "ACTION_LEVEL"


@strawberry.type(
    description="One action of a service and its last use (TrackedActionLastAccessed)."
)
class TrackedActionLastAccessed:
    action_name: str
    last_accessed_time: datetime | None
    last_accessed_entity: str | None
    last_accessed_region: str | None = strawberry.field(description="Always null: no regions.")


@strawberry.type(description="One service the subject's policies grant, and its last use.")
class ServiceLastAccessed:
    service_name: str
    service_namespace: str
    last_authenticated: datetime | None = strawberry.field(
        description="Null: never used (within what the gateway recorded)."
    )
    last_authenticated_entity: str | None
    last_authenticated_region: str | None = strawberry.field(description="Always null.")
    total_authenticated_entities: int
    tracked_actions_last_accessed: list[TrackedActionLastAccessed] | None


@strawberry.type(description="GetServiceLastAccessedDetails's answer.")
class ServiceLastAccessedDetails:
    job_id: str
    job_status: str
    job_type: AccessAdvisorUsageGranularity
    job_creation_date: datetime
    job_completion_date: datetime
    services_last_accessed: list[ServiceLastAccessed]
    never_used_services: list[str] = strawberry.field(
        description="The namespaces of the granted services that were never used."
    )

    @classmethod
    def from_report(cls, report: last_accessed.LastAccessedReport) -> ServiceLastAccessedDetails:
        """The service's report as a GraphQL object."""
        return cls(
            job_id=report.job_id,
            job_status=report.job_status,
            job_type=AccessAdvisorUsageGranularity(report.job_type.value),
            job_creation_date=report.job_creation_date,
            job_completion_date=report.job_completion_date,
            services_last_accessed=[
                ServiceLastAccessed(
                    service_name=s.service_name,
                    service_namespace=s.service_namespace,
                    last_authenticated=s.last_authenticated,
                    last_authenticated_entity=s.last_authenticated_entity,
                    last_authenticated_region=None,
                    total_authenticated_entities=s.total_authenticated_entities,
                    tracked_actions_last_accessed=None
                    if s.tracked_actions_last_accessed is None
                    else [
                        TrackedActionLastAccessed(
                            action_name=t.action_name,
                            last_accessed_time=t.last_accessed_time,
                            last_accessed_entity=t.last_accessed_entity,
                            last_accessed_region=None,
                        )
                        for t in s.tracked_actions_last_accessed
                    ],
                )
                for s in report.services_last_accessed
            ],
            never_used_services=report.never_used(),
        )
