"""Role sessions: assumeRole (STS AssumeRole), console switchRole / switchBack, the roles one
may assume, and revoking a role's active sessions.

assumeRole, switchRole, switchBack and assumableRoles carry no `@authorize`: who may assume a
role is decided by its trust policy together with the caller's own policies (AWS's rule,
`gateway.services.role_trust`), inside the operation, with AWS's error.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.graphql.authorize import ROLE, authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.role_session import AssumableRole, AssumeRolePayload, SwitchPayload
from gateway.services import (
    identities,
    inline_policies,
    role_revocation,
    role_sessions,
    role_switching,
)
from gateway.services.authorization import PrincipalPolicies
from gateway.services.role_trust import ASSUME_ROLE
from gateway.services.signin_throttling import Lockout

Info = strawberry.Info[GatewayContext, None]


async def caller_policies(info: Info) -> PrincipalPolicies:
    """The caller's policies, from the app's authorizer cache."""
    auth = await info.context.authenticated()
    return await info.context.state.authorizer.policies(auth.principal, auth.policy_generation)


@strawberry.type
class RoleSessionQueries:
    @strawberry.field(
        description="The roles the caller may assume or switch to now, in every account of "
        "the deployment: their trust policy names the caller, its role or its account, and the "
        "caller's policies allow sts:AssumeRole on them. For a switched console session, those "
        "of the signed-in identity. Needs no permission of its own.",
        extensions=[no_permission("gateway:ListAssumableRoles")],
    )
    async def assumable_roles(self, info: Info) -> list[AssumableRole]:
        actor = await info.context.principal()
        found = await role_switching.assumable_roles(actor, await caller_policies(info))
        return [AssumableRole.from_model(role) for role in found]


@strawberry.type
class RoleSessionMutations:
    @strawberry.mutation(
        description="Temporary credentials for a role (STS AssumeRole): allowed by the role's "
        "trust policy and, within its account, the caller's own policies unless the trust "
        "policy names the caller. The session has only the role's permissions, intersected "
        "with `policy` and `policyArns` if given. 15 minutes to the role's maximum, one hour "
        "by default and at most when a role session assumes a role.",
        extensions=[no_permission(ASSUME_ROLE)],
    )
    async def assume_role(
        self,
        info: Info,
        role_arn: str,
        role_session_name: str,
        duration_seconds: int | None = None,
        policy: str | None = None,
        policy_arns: list[str] | None = None,
        serial_number: str | None = None,
        token_code: str | None = None,
        source_identity: str | None = None,
    ) -> AssumeRolePayload:
        actor = await info.context.principal()
        assumed = await role_sessions.assume_role(
            actor,
            role_arn=role_arn,
            role_session_name=role_session_name,
            duration_seconds=duration_seconds,
            policy=policy,
            policy_arns=policy_arns,
            serial_number=serial_number,
            token_code=token_code,
            source_identity=source_identity,
            cipher=info.context.cipher,
            lockout=Lockout.from_settings(info.context.settings),
            caller_policies=await caller_policies(info),
        )
        return AssumeRolePayload.from_result(assumed)

    @strawberry.mutation(
        description="Console switch: a new bearer token acting as the role, for the signed-in "
        "identity (AssumeRole's rules). The sign-in stays valid for switchBack; switching "
        "again replaces the role session. The session name defaults to the user name.",
        extensions=[no_permission(role_switching.SWITCH)],
    )
    async def switch_role(
        self, info: Info, role_arn: str, role_session_name: str | None = None
    ) -> SwitchPayload:
        actor = await info.context.principal()
        switched = await role_switching.switch_role(
            actor,
            role_arn=role_arn,
            role_session_name=role_session_name,
            caller_policies=await caller_policies(info),
        )
        return SwitchPayload.from_result(switched)

    @strawberry.mutation(
        description="End a switched role session and return to the signed-in identity: a new "
        "bearer token for the original sign-in session, while it is still valid.",
        extensions=[no_permission(role_switching.SWITCH_BACK)],
    )
    async def switch_back(self, info: Info) -> SwitchPayload:
        actor = await info.context.principal()
        return SwitchPayload.from_result(await role_switching.switch_back(actor))

    @strawberry.mutation(
        description="Revoke the role's active sessions, as AWS's console does: an inline "
        "policy AWSRevokeOlderSessions denying everything to sessions issued before now "
        "(returned). Sessions issued afterwards work.",
        extensions=[authorize(identities.ROLE.action(inline_policies.PUT), ROLE)],
    )
    async def revoke_role_sessions(self, info: Info, role_name: str) -> datetime | None:
        actor = await info.context.principal()
        return await role_revocation.revoke_role_sessions(actor, role_name)
