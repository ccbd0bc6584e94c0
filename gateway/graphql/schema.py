"""The GraphQL schema: every aggregate's queries and mutations, merged."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from gateway.config import Settings
from gateway.graphql import limits
from gateway.graphql.access_keys import AccessKeyMutations, AccessKeyQueries
from gateway.graphql.accounts import AccountMutations, AccountQueries
from gateway.graphql.analysis import AnalysisMutations, AnalysisQueries
from gateway.graphql.audit import AuditQueries, AuditSubscriptions
from gateway.graphql.authorize import declares_access
from gateway.graphql.decisions import DecisionQueries
from gateway.graphql.errors import GatewaySchema
from gateway.graphql.groups import GroupMutations, GroupQueries
from gateway.graphql.last_accessed import LastAccessedMutations, LastAccessedQueries
from gateway.graphql.mfa import MfaMutations, MfaQueries
from gateway.graphql.password_policy import PasswordPolicyMutations, PasswordPolicyQueries
from gateway.graphql.policies import PolicyMutations, PolicyQueries
from gateway.graphql.reports import ReportMutations, ReportQueries
from gateway.graphql.request_parameters import record_arguments_of_root_fields
from gateway.graphql.role_sessions import RoleSessionMutations, RoleSessionQueries
from gateway.graphql.roles import RoleMutations, RoleQueries
from gateway.graphql.security_keys import SecurityKeyMutations
from gateway.graphql.sessions import SessionMutations, SessionQueries
from gateway.graphql.users import UserMutations, UserQueries

Query = merge_types(
    "Query",
    (
        SessionQueries,
        DecisionQueries,
        AccountQueries,
        PasswordPolicyQueries,
        UserQueries,
        AccessKeyQueries,
        MfaQueries,
        GroupQueries,
        PolicyQueries,
        RoleQueries,
        RoleSessionQueries,
        ReportQueries,
        AnalysisQueries,
        LastAccessedQueries,
        AuditQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        SessionMutations,
        AccountMutations,
        PasswordPolicyMutations,
        UserMutations,
        AccessKeyMutations,
        MfaMutations,
        SecurityKeyMutations,
        GroupMutations,
        PolicyMutations,
        RoleMutations,
        RoleSessionMutations,
        ReportMutations,
        AnalysisMutations,
        LastAccessedMutations,
    ),
)
Subscription = merge_types("Subscription", (AuditSubscriptions,))
record_arguments_of_root_fields(Query, Mutation, Subscription)


def check_root_fields_declare_access(*roots: type) -> None:
    """Raise TypeError unless every root field says what it requires (`@authorize` or
    `@noPermission`): a field nobody classified would otherwise serve any session."""
    for root in roots:
        for field in get_object_definition(root, strict=True).fields:
            if not declares_access(field):
                raise TypeError(
                    f"{root.__name__}.{field.python_name} declares neither @authorize nor "
                    "@noPermission (gateway.graphql.authorize)"
                )


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The gateway's schema, with the limits and error handling the settings ask for."""
    settings = settings or Settings.from_env()
    check_root_fields_declare_access(Query, Mutation, Subscription)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=limits.schema_config(settings),
        extensions=limits.extensions(settings),
    )
