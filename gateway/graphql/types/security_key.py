"""A begun security key registration: the options the browser needs to create the key."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from gateway.services.security_keys import Registration


@strawberry.type(
    description="A security key registration waiting for the browser's answer: pass `options` "
    "to navigator.credentials.create() (base64url strings to ArrayBuffers), then give "
    "completeSecurityKeyRegistration the registrationId and the credential (JSON)."
)
class SecurityKeyRegistration:
    registration_id: str
    options: JSON = strawberry.field(
        description="PublicKeyCredentialCreationOptions as JSON (WebAuthn's JSON form)."
    )
    expiration: datetime = strawberry.field(description="Complete it before then.")

    @classmethod
    def from_result(cls, registration: Registration) -> SecurityKeyRegistration:
        """The GraphQL view of a begun registration."""
        return cls(
            registration_id=registration.id,
            options=cast(JSON, registration.options),
            expiration=registration.expires_at,
        )
