"""Asking the gateway for decisions: for the caller (`authorize`) or another principal."""

from __future__ import annotations

import strawberry

from gateway.graphql.authorize import Authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.decision import ContextEntry, Decision, context_dict
from gateway.services import simulation
from gateway.services.authorization import session_refusal
from gateway.services.simulation import principal_for_arn

Info = strawberry.Info[GatewayContext, None]


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
        simulation.check_pairs(action_names, resources)
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

    @strawberry.field(
        description="Decisions for policy documents given as text, with no principal "
        "(SimulateCustomPolicy): identity policies, at most one permissions boundary, at most "
        "one resource policy (which needs `callerArn`). Actions take no wildcards.",
        extensions=[Authorize("iam:SimulateCustomPolicy", "*")],
    )
    async def simulate_custom_policy(
        self,
        info: Info,
        policy_input_list: list[str],
        action_names: list[str],
        resource_arns: list[str] | None = None,
        permissions_boundary_policy_input_list: list[str] | None = None,
        resource_policy: str | None = None,
        caller_arn: str | None = None,
        context: list[ContextEntry] | None = None,
    ) -> list[Decision] | None:
        results = simulation.simulate_custom_policy(
            await info.context.principal(),
            policy_input_list=policy_input_list,
            action_names=action_names,
            resource_arns=resource_arns,
            permissions_boundary_policy_input_list=permissions_boundary_policy_input_list or [],
            resource_policy=resource_policy,
            caller_arn=caller_arn,
            context=context_dict(context),
        )
        return [Decision.from_decision(r.action, r.resource, r.decision) for r in results]

    @strawberry.field(
        description="The context keys the given policy documents refer to, in conditions and "
        "policy variables (GetContextKeysForCustomPolicy).",
        extensions=[Authorize("iam:GetContextKeysForCustomPolicy", "*")],
    )
    async def context_keys_for_custom_policy(
        self, info: Info, policy_input_list: list[str]
    ) -> list[str] | None:
        return simulation.context_keys_for_custom_policy(policy_input_list)

    @strawberry.field(
        description="The context keys the policies of a user (its groups' included), group or "
        "role refer to, plus any documents given (GetContextKeysForPrincipalPolicy).",
        extensions=[Authorize("iam:GetContextKeysForPrincipalPolicy", "{policySourceArn}")],
    )
    async def context_keys_for_principal_policy(
        self, info: Info, policy_source_arn: str, policy_input_list: list[str] | None = None
    ) -> list[str] | None:
        return await simulation.context_keys_for_principal_policy(
            await info.context.principal(), policy_source_arn, policy_input_list or []
        )
