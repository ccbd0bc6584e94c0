"""Asking the gateway for decisions: for the caller (`authorize`) or another principal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import strawberry

from gateway.errors import ValidationError
from gateway.graphql.authorize import Authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.decision import ContextEntry, Decision, context_dict
from gateway.services import simulation
from gateway.services.authorization import Question, check_caller_context, session_refusal
from gateway.services.offload import off_the_loop_if_large
from gateway.services.simulation import principal_for_arn

Info = strawberry.Info[GatewayContext, None]

AUTHORIZE_ACTION = "gateway:Authorize"
"""How `authorize` and `authorizeAll` are named in the audit trail (they need no permission)."""
MAX_BATCH = 100
"""Most decisions one `authorizeAll` answers (AWS Verified Permissions' BatchIsAuthorized
takes 30)."""


@strawberry.input(description="One question for `authorizeAll`: an action on a resource.")
class AuthorizeRequest:
    action: str
    resource: str
    context: list[ContextEntry] | None = None


async def caller_decisions(ctx: GatewayContext, questions: Sequence[Question]) -> list[Decision]:
    """The caller's decisions, in order, as its session would be treated: an action the
    session may not do whatever its policies say is denied by `session` with the reason;
    otherwise its policies decide, and an allowed decision counts as access activity.
    `authorize`, `authorizeAll` and the lane's recognized documents
    (`gateway.graphql.lane`) all answer through here. A context that states a key of
    the caller's own session (`check_caller_context`) is InvalidInput."""
    for _, _, context in questions:
        if context:
            check_caller_context(context)
    auth = await ctx.authenticated()
    principal = auth.principal
    state = ctx.state
    refusals = [session_refusal(principal, action) for action, _, _ in questions]
    asked = questions
    if any(refusals):
        asked = [q for q, refusal in zip(questions, refusals, strict=True) if refusal is None]
    decided = iter(await state.authorizer.decide_all(principal, auth.policy_generation, asked))
    note = state.activity.note
    answers = []
    for (action, resource, _), refusal in zip(questions, refusals, strict=True):
        if refusal is not None:
            answers.append(Decision.refused(action, resource, refusal.message))
            continue
        decision = next(decided)
        note(principal, action, decision)
        answers.append(Decision.from_decision(action, resource, decision))
    return answers


async def caller_decision(
    ctx: GatewayContext,
    action: str,
    resource: str,
    context: Mapping[str, str | Sequence[str]] | None,
) -> Decision:
    """The caller's decision for one question (`caller_decisions`)."""
    return (await caller_decisions(ctx, [(action, resource, context)]))[0]


def check_batch(size: int) -> None:
    """ValidationError, in AWS's words, for a batch of more than MAX_BATCH requests."""
    if size > MAX_BATCH:
        raise ValidationError(
            "1 validation error detected: Value at 'requests' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_BATCH}"
        )


@strawberry.type
class DecisionQueries:
    @strawberry.field(
        description="May the caller do `action` on `resource`? For applications: needs no "
        "permission of its own, like GetCallerIdentity, and answers as the caller's session "
        "would be treated (GetSessionToken credentials without MFA are denied IAM actions; a "
        "session that must change its password gets PasswordChangeRequired).",
        extensions=[no_permission(AUTHORIZE_ACTION)],
    )
    async def authorize(
        self,
        info: Info,
        action: str,
        resource: str,
        context: list[ContextEntry] | None = None,
    ) -> Decision:
        return await caller_decision(info.context, action, resource, context_dict(context))

    @strawberry.field(
        description="Up to 100 `authorize` questions in one request, answered in order (like "
        "AWS Verified Permissions' BatchIsAuthorized, for the caller's own identity). More "
        "than 100 is a ValidationError.",
        extensions=[no_permission(AUTHORIZE_ACTION)],
    )
    async def authorize_all(self, info: Info, requests: list[AuthorizeRequest]) -> list[Decision]:
        check_batch(len(requests))
        return await caller_decisions(
            info.context, [(r.action, r.resource, context_dict(r.context)) for r in requests]
        )

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
                    subject, auth.policy_generation, action, resource, entries
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
        documents = [*policy_input_list, *(permissions_boundary_policy_input_list or [])]
        results = await off_the_loop_if_large(
            sum(map(len, documents)) + len(resource_policy or ""),
            simulation.simulate_custom_policy,
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
        return await off_the_loop_if_large(
            sum(map(len, policy_input_list)),
            simulation.context_keys_for_custom_policy,
            policy_input_list,
        )

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
