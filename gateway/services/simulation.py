"""The principal whose policies a simulation evaluates."""

from __future__ import annotations

from gateway.arns import root_arn
from gateway.errors import InvalidInput, NoSuchEntity
from gateway.models import Role, User
from gateway.services import targets
from gateway.services.principal import Principal
from gateway.services.targets import Kind

SIMULATED_SESSION = "simulation"
"""The session name a simulated role acts under (its policies are the role's alone)."""


async def principal_for_arn(account_id: str, arn: str) -> Principal:
    """The root user, IAM user or role of the account named by `arn`, as a session-less
    principal; a role is simulated as a session of it named `simulation`, with no session
    policies.

    Simulations carry no session, so no MFA or source-address keys are set unless the
    caller passes them as context entries.
    """
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
    if ":user/" in arn or ":role/" in arn:
        raise NoSuchEntity(
            f"The {'role' if ':role/' in arn else 'user'} with ARN {arn} cannot be found."
        )
    raise InvalidInput(
        f"Invalid policySourceArn {arn}: only users, roles and the root user can be simulated."
    )
