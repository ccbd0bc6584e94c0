"""Asking the gateway for decisions: for the caller (`authorize`) or another principal."""

from __future__ import annotations

import strawberry

from gateway.errors import InvalidInput
from gateway.graphql.authorize import Authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.decision import ContextEntry, Decision, context_dict
from gateway.services.authorization import session_refusal
from gateway.services.simulation import principal_for_arn

Info = strawberry.Info[GatewayContext, None]
MAX_SIMULATED = 100


@strawberry.type
class DecisionQueries:
    @strawberry.field(
        description="May the caller do `action` on `resource`? For applications: needs no "
        "permission of its own, like GetCallerIdentity, and answers as the caller's session "
        "would be treated (GetSessionToken credentials without MFA are denied IAM actions; a "
        "session that must change its password gets PasswordChangeRequired).",
        extensions=[no_permission("gateway:Authorize")],
    )
    async def authorize(
        self,
        info: Info,
        action: str,
        resource: str,
        context: list[ContextEntry] | None = None,
    ) -> Decision:
        auth = await info.context.authenticated()
        refusal = session_refusal(auth.principal, action)
        if refusal is not None:
            return Decision.refused(action, resource, refusal.message)
        decision = await info.context.state.authorizer.decide(
            auth.principal, auth.generation, action, resource, context_dict(context)
        )
        info.context.state.activity.note(auth.principal, action, decision)
        return Decision.from_decision(action, resource, decision)

    @strawberry.field(
        description="Decisions for another principal's policies (SimulatePrincipalPolicy): "
        "a user, the root user, or a role (as a session of it named `simulation`).",
        extensions=[Authorize("iam:SimulatePrincipalPolicy", "{policySourceArn}")],
    )
    async def simulate_principal_policy(
        self,
        info: Info,
        policy_source_arn: str,
        action_names: list[str],
        resource_arns: list[str] | None = None,
        context: list[ContextEntry] | None = None,
    ) -> list[Decision] | None:
        resources = resource_arns or ["*"]
        if len(action_names) * len(resources) > MAX_SIMULATED:
            raise InvalidInput(
                f"At most {MAX_SIMULATED} action and resource pairs can be simulated at once."
            )
        auth = await info.context.authenticated()
        subject = await principal_for_arn(auth.principal.account_id, policy_source_arn)
        entries = context_dict(context)
        results = []
        for action in action_names:
            for resource in resources:
                decision = await info.context.state.authorizer.decide(
                    subject, auth.generation, action, resource, entries
                )
                results.append(Decision.from_decision(action, resource, decision))
        return results
