"""Who the caller is (GetCallerIdentity) and the result of signing in."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.services.principal import Principal


@strawberry.type(description="The calling identity, as STS GetCallerIdentity reports it.")
class CallerIdentity:
    account: str
    arn: str
    user_id: str
    principal_type: str = strawberry.field(description="Account (root), User or AssumedRole.")
    password_change_required: bool = strawberry.field(
        description="The session may only change its password (it expired or must be reset)."
    )
    mfa_enrollment_required: bool = strawberry.field(
        description="The session may only enrol an MFA device (root MFA is required and root "
        "has none): create and enable a virtual device, then sign in again with it."
    )
    mfa_authenticated: bool = strawberry.field(
        description="The session was authenticated with an MFA code (aws:MultiFactorAuthPresent)."
    )

    @classmethod
    def from_principal(cls, principal: Principal) -> CallerIdentity:
        """The identity of a principal."""
        return cls(
            account=principal.account_id,
            arn=principal.arn,
            user_id=principal.id,
            principal_type=principal.policy_type,
            password_change_required=principal.password_change_required,
            mfa_enrollment_required=principal.mfa_enrollment_required,
            mfa_authenticated=principal.mfa_authenticated_at is not None,
        )


@strawberry.type(description="A new session. The token is shown only here, once.")
class SignInPayload:
    token: str = strawberry.field(description="Send it as `Authorization: Bearer <token>`.")
    expiration: datetime
    identity: CallerIdentity
