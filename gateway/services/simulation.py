"""The policy simulator: SimulatePrincipalPolicy's subject, SimulateCustomPolicy, and the
context keys a simulation needs (GetContextKeysForPrincipalPolicy/…ForCustomPolicy).

Simulations carry no session, so no MFA or source-address keys are set unless the caller
passes them as context entries. SimulateCustomPolicy evaluates the documents it is given with
the engine, as AWS's does: identity policies, at most one permissions boundary, at most one
resource policy (which then needs a `callerArn`). Without `callerArn` the simulated caller is
nobody in particular: `${aws:username}` and the other principal keys stay unresolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.arns import iam_resource_type, parse_arn, parse_iam_resource, root_arn
from gateway.errors import InvalidInput, NoSuchEntity, from_policy_error
from gateway.models import Group, Role, User
from gateway.policy import Decision, Policy, PolicyValidationError, Request, evaluate, parse_policy
from gateway.services import targets
from gateway.services.effective import group_policies, identity_policies, role_policies
from gateway.services.offload import off_the_loop_if_large
from gateway.services.principal import Principal
from gateway.services.targets import Kind

SIMULATED_SESSION = "simulation"
"""The session name a simulated role acts under (its policies are the role's alone)."""
MAX_SIMULATED = 100
"""Action and resource pairs one simulation may ask for."""
MAX_DOCUMENT = 131072
"""AWS's limit on each policy document passed to the simulator (policyDocumentType)."""
MAX_DOCUMENTS = 20


@dataclass(frozen=True, slots=True)
class Simulated:
    """One result of a simulation: the action, the resource and the engine's decision."""

    action: str
    resource: str
    decision: Decision


async def principal_for_arn(account_id: str, arn: str) -> Principal:
    """The root user, IAM user or role of the account named by `arn`, as a session-less
    principal; a role is simulated as a session of it named `simulation`, with no session
    policies. Only the account's own: another account's ARN finds nothing."""
    if arn == root_arn(account_id):
        return Principal.root(account_id)
    kind = targets.kind_of_arn(arn, account_id)
    if kind is Kind.ROLE:
        role = await targets.stored_by_arn(Kind.ROLE, account_id, arn)
        if not isinstance(role, Role):
            raise NoSuchEntity(f"The role with ARN {arn} cannot be found.")
        return Principal.role_session(role, SIMULATED_SESSION)
    if kind is Kind.USER:
        user = await targets.stored_by_arn(Kind.USER, account_id, arn)
        if not isinstance(user, User):
            raise NoSuchEntity(f"The user with ARN {arn} cannot be found.")
        return Principal.user(user)
    for named in ("role", "user"):
        if f":{named}/" in arn:  # another account's, or not an IAM ARN: nothing to find
            raise NoSuchEntity(f"The {named} with ARN {arn} cannot be found.")
    raise InvalidInput(
        f"Invalid policySourceArn {arn}: only users, roles and the root user can be simulated."
    )


def check_pairs(action_names: Sequence[str], resource_arns: Sequence[str]) -> None:
    """InvalidInput unless the simulation asks for at most MAX_SIMULATED pairs."""
    if len(action_names) * len(resource_arns) > MAX_SIMULATED:
        raise InvalidInput(
            f"At most {MAX_SIMULATED} action and resource pairs can be simulated at once."
        )


def simulate_custom_policy(
    actor: Principal,
    *,
    policy_input_list: Sequence[str],
    action_names: Sequence[str],
    resource_arns: Sequence[str] | None = None,
    permissions_boundary_policy_input_list: Sequence[str] = (),
    resource_policy: str | None = None,
    caller_arn: str | None = None,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> list[Simulated]:
    """Each action on each resource (default `*`) decided by the given documents alone.

    InvalidInput for no policy, more than one boundary, a resource policy without
    `callerArn`, an action with a wildcard, or too many pairs; MalformedPolicyDocument for a
    document the engine refuses (its message, and which document).
    """
    resources = list(resource_arns or ["*"])
    if not policy_input_list:
        raise InvalidInput("PolicyInputList must contain at least one policy document.")
    if len(policy_input_list) > MAX_DOCUMENTS:
        raise InvalidInput(f"PolicyInputList can contain at most {MAX_DOCUMENTS} documents.")
    if len(permissions_boundary_policy_input_list) > 1:
        raise InvalidInput("You can input only one permissions boundary.")
    if resource_policy is not None and caller_arn is None:
        raise InvalidInput("CallerArn is required if you include a ResourcePolicy.")
    _check_actions(action_names)
    check_pairs(action_names, resources)
    identity = _parse_all(policy_input_list, "PolicyInputList", "identity")
    boundary = _parse_all(
        permissions_boundary_policy_input_list, "PermissionsBoundaryPolicyInputList", "identity"
    )
    resource = None
    if resource_policy is not None:
        resource = _parse_all([resource_policy], "ResourcePolicy", "resource")[0]
    principal = _caller(actor, caller_arn)
    return [
        Simulated(
            action,
            arn,
            evaluate(
                Request(action, arn, principal, dict(context or {})),
                identity=identity,
                boundary=boundary[0] if boundary else None,
                resource=resource,
            ),
        )
        for action in action_names
        for arn in resources
    ]


def context_keys_of(policies: Iterable[Policy]) -> list[str]:
    """The context keys the policies refer to, in conditions and in policy variables, each
    once (compared ignoring case), in order of first appearance."""
    seen: dict[str, str] = {}
    for policy in policies:
        for statement in policy.statements:
            keys = list(statement.condition_keys)
            for template in statement.resources or ():
                keys.extend(template.variable_keys)
            for condition in statement.conditions:
                for value in condition.values:
                    keys.extend(value.variable_keys)
            for key in keys:
                seen.setdefault(key.lower(), key)
    return list(seen.values())


def context_keys_for_custom_policy(policy_input_list: Sequence[str]) -> list[str]:
    """GetContextKeysForCustomPolicy: the keys the given documents refer to."""
    if not policy_input_list:
        raise InvalidInput("PolicyInputList must contain at least one policy document.")
    if len(policy_input_list) > MAX_DOCUMENTS:
        raise InvalidInput(f"PolicyInputList can contain at most {MAX_DOCUMENTS} documents.")
    return context_keys_of(_parse_all(policy_input_list, "PolicyInputList", "identity"))


async def context_keys_for_principal_policy(
    actor: Principal, policy_source_arn: str, policy_input_list: Sequence[str] = ()
) -> list[str]:
    """GetContextKeysForPrincipalPolicy: the keys in the policies of a user (its groups'
    included), group or role of the caller's account, plus any documents given."""
    if len(policy_input_list) > MAX_DOCUMENTS:
        raise InvalidInput(f"PolicyInputList can contain at most {MAX_DOCUMENTS} documents.")
    extra = await off_the_loop_if_large(
        sum(map(len, policy_input_list)),
        _parse_all,
        policy_input_list,
        "PolicyInputList",
        "identity",
    )
    return context_keys_of([*await entity_policies(actor.account_id, policy_source_arn), *extra])


async def entity_policies(account_id: str, arn: str) -> tuple[Policy, ...]:
    """The identity policies of the user, group or role of the account named by `arn` (a
    user's groups' included; boundaries are not permissions). NoSuchEntity if there is no
    such entity; InvalidInput for an ARN that names no user, group or role."""
    kind = iam_resource_type(arn)
    if kind in {"user", "group", "role"}:
        entity = await targets.stored_by_arn(Kind(kind), account_id, arn)
        if isinstance(entity, User):
            return (await identity_policies(account_id, entity.id)).identity
        if isinstance(entity, Group):
            return (await group_policies(account_id, entity.id)).identity
        if isinstance(entity, Role):
            return (await role_policies(account_id, entity.id)).identity
        raise NoSuchEntity(f"The {kind} with ARN {arn} cannot be found.")
    raise InvalidInput(f"Invalid ARN {arn}: expected the ARN of an IAM user, group or role.")


def _check_actions(action_names: Sequence[str]) -> None:
    if not action_names:
        raise InvalidInput("ActionNames must contain at least one action.")
    for action in action_names:
        if not 3 <= len(action) <= 128 or ":" not in action:
            raise InvalidInput(
                f"Invalid action name {action!r}: it must include the service, e.g. iam:CreateUser."
            )
        if "*" in action or "?" in action:
            raise InvalidInput(
                f"Invalid action name {action!r}: the simulator does not support wildcards."
            )


def _parse_all(documents: Sequence[str], parameter: str, kind: str) -> list[Policy]:
    policies = []
    for number, text in enumerate(documents, start=1):
        if not 1 <= len(text) <= MAX_DOCUMENT:
            raise InvalidInput(f"{parameter}.{number} must be 1 to {MAX_DOCUMENT} characters.")
        try:
            policies.append(parse_policy(text, kind, name=f"{parameter}.{number}"))
        except PolicyValidationError as error:
            kind_of_error = type(from_policy_error(error))
            raise kind_of_error(f"{parameter}.{number}: {error.message}") from error
    return policies


def _caller(actor: Principal, caller_arn: str | None) -> dict[str, Any]:
    """The simulated caller as the engine takes it."""
    if caller_arn is None:
        return {"account": actor.account_id}
    try:
        parsed = parse_arn(caller_arn)
        resource = parse_iam_resource(parsed.resource)
    except ValueError:
        raise InvalidInput(f"Invalid CallerArn {caller_arn}.") from None
    if parsed.service != "iam" or resource.resource_type not in ("user", "role", "root"):
        raise InvalidInput(
            f"Invalid CallerArn {caller_arn}: it must be the ARN of an IAM user or role."
        )
    principal: dict[str, Any] = {"arn": caller_arn, "account": parsed.account}
    if resource.resource_type == "user":
        principal.update(type="User", username=resource.name)
    elif resource.resource_type == "role":
        principal["type"] = "AssumedRole"
    else:
        principal["type"] = "Account"
    return principal
