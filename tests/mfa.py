"""Second factors as a person holds them, for tests: an authenticator app's codes
(`Authenticator`, `enroll`) and a security key registered through the services
(`register_key`, on the in-process tests' relying party)."""

from __future__ import annotations

from datetime import datetime

from gateway import clock
from gateway.models import (
    SecurityKey,
)
from gateway.services.mfa_devices import (
    code_at,
    create_virtual_mfa_device,
    current_step,
    enable_mfa_device,
)
from gateway.services.principal import Principal
from gateway.services.security_keys import (
    RelyingParty,
    begin_registration,
    complete_registration,
)
from gateway.services.seeds import SeedCipher
from tests import security_key
from tests.helpers import (  # noqa: F401  (re-exported)
    GOOD_PASSWORD,
    ROOT_EMAIL,
    ROOT_PASSWORD,
    Snapshot,
    principal_for_root,
    principal_for_user,
    snapshot,
)
from tests.security_key import SoftKey


class Authenticator:
    """An authenticator app holding one virtual device's seed: the codes it would show."""

    def __init__(self, serial_number: str, seed: str) -> None:
        self.serial_number = serial_number
        self.seed = seed

    def code(self, steps: int = 0, at: datetime | None = None) -> str:
        """The code shown `steps` time steps from `at` (default: the gateway's now)."""
        return code_at(self.seed, current_step(at or clock.now()) + steps)

    def enabling_codes(self) -> tuple[str, str]:
        """The previous and the current step's codes, read at one instant (as EnableMFADevice
        wants them)."""
        now = clock.now()
        return self.code(-1, now), self.code(0, now)


async def enroll(
    actor: Principal, cipher: SeedCipher, user_name: str | None, name: str | None = None
) -> Authenticator:
    """Create a virtual device and enable it for `user_name` (the caller without one), as a
    user would: with the codes of the previous and the current time step."""
    created = await create_virtual_mfa_device(
        actor, name=name or user_name or "root-device", cipher=cipher
    )
    app = Authenticator(created.device.serial_number, created.seed)
    code_1, code_2 = app.enabling_codes()
    await enable_mfa_device(
        actor,
        user_name=user_name,
        serial_number=app.serial_number,
        authentication_code_1=code_1,
        authentication_code_2=code_2,
        cipher=cipher,
    )
    return app


RELYING_PARTY = RelyingParty(rp_id=security_key.RP_ID, origins=(security_key.ORIGIN,))
"""The relying party of `Settings()`: what the in-process tests' browser (SoftKey) talks to."""


async def register_key(
    actor: Principal,
    user_name: str | None,
    name: str = "yubikey",
    key: SoftKey | None = None,
) -> tuple[SoftKey, SecurityKey]:
    """Register a (new) software security key for `user_name` (the caller without one), as a
    browser would: begin, let the key answer the options, complete."""
    key = key or SoftKey()
    registration = await begin_registration(
        actor, user_name=user_name, name=name, relying_party=RELYING_PARTY
    )
    stored = await complete_registration(
        actor,
        user_name=user_name,
        registration_id=registration.id,
        credential=key.register(registration.options),
        relying_party=RELYING_PARTY,
    )
    return key, stored
