"""Signing in with a security key: the WebAuthn options in MfaRequired, the assertion in
verifyMfa, challenges bound to their sign-in and used once, counters that only move forward
(a cloned key is refused and flagged), and many answers at once opening one session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway import clock
from gateway.errors import (
    AccessDenied,
    GatewayError,
    InvalidAuthenticationCode,
    InvalidInput,
    MfaRequired,
    Unauthenticated,
)
from gateway.models import AuditEvent, SecurityKey, Session, User
from gateway.services import security_key_assertions
from gateway.services.login_profiles import create_login_profile
from gateway.services.mfa_devices import check_caller_code
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.signin import WRONG_KEY, SignedIn, sign_in_root, sign_in_user, verify_mfa
from gateway.services.signin_throttling import Lockout
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD, principal_for_user
from tests.mfa import RELYING_PARTY, enroll, register_key
from tests.security_key import SoftKey

START = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)
TTL = 3600
LOCKOUT = Lockout(identity_failures=50, address_failures=500)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.using(clock.FrozenClock(START)) as fake:
        assert isinstance(fake, clock.FrozenClock)
        yield fake


@pytest.fixture
async def bob(root: Principal) -> User:
    user = await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)
    return user


@pytest.fixture
async def bobs_key(root: Principal, bob: User) -> SoftKey:
    key, _ = await register_key(root, "bob")
    return key


async def password_step(account_id: str, relying_party: Any = RELYING_PARTY) -> MfaRequired:
    """Bob's password sign-in; the MfaRequired it answers with."""
    with pytest.raises(MfaRequired) as raised:
        await sign_in_user(
            account_id,
            "bob",
            GOOD_PASSWORD,
            source_ip="192.0.2.7",
            ttl_seconds=TTL,
            lockout=LOCKOUT,
            relying_party=relying_party,
        )
    return raised.value


async def verify(
    required: MfaRequired,
    credential: Any = None,
    code: str | None = None,
    cipher: SeedCipher | None = None,
) -> SignedIn:
    return await verify_mfa(
        required.extensions["challenge"],
        code,
        credential=credential,
        source_ip="192.0.2.7",
        ttl_seconds=TTL,
        cipher=cipher or SeedCipher("test-only-seed-key-0123456789abcdef"),
        lockout=LOCKOUT,
        relying_party=RELYING_PARTY,
    )


async def test_the_password_step_offers_the_key_and_its_assertion_opens_an_mfa_session(
    root: Principal, bob: User, bobs_key: SoftKey, frozen: clock.FrozenClock
) -> None:
    required = await password_step(root.account_id)
    assert required.message == security_key_assertions.MFA_REQUIRED_WITH_KEY
    options = required.extensions["webauthn"]
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "preferred"
    assert options["allowCredentials"] == [
        {"id": bobs_key.id, "type": "public-key", "transports": ["usb"]}
    ]
    assert options["timeout"] == 300_000
    frozen.advance(seconds=20)

    signed_in = await verify(required, bobs_key.assertion(options))

    assert signed_in.principal.arn == bob.arn
    assert signed_in.principal.mfa_authenticated_at == START.replace(second=30)
    session = await Session.get(id=signed_in.principal.session_id)
    assert session.mfa_authenticated
    stored = await SecurityKey.get(credential_id=bobs_key.id)
    assert stored.sign_count == 1
    assert stored.last_used_at == START.replace(second=30)
    event = await AuditEvent.filter(action="gateway:SignIn", outcome="Allowed").first()
    assert event is not None
    assert event.details == {"mfa": "securityKey", "MFAUsed": "Yes"}


async def test_without_a_key_or_a_relying_party_no_webauthn_options_are_offered(
    root: Principal, bob: User, cipher: SeedCipher
) -> None:
    await enroll(root, cipher, "bob")
    assert "webauthn" not in (await password_step(root.account_id)).extensions
    await register_key(root, "bob")
    assert "webauthn" not in (await password_step(root.account_id, None)).extensions
    assert "webauthn" in (await password_step(root.account_id)).extensions


async def test_root_signs_in_with_its_key(root: Principal) -> None:
    key, _ = await register_key(root, None)
    with pytest.raises(MfaRequired) as raised:
        await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL, relying_party=RELYING_PARTY)
    signed_in = await verify(raised.value, key.assertion(raised.value.extensions["webauthn"]))
    assert signed_in.principal.is_root
    assert signed_in.principal.mfa_authenticated_at is not None


async def test_an_assertion_answers_its_own_sign_in_only_and_only_once(
    root: Principal, bob: User, bobs_key: SoftKey
) -> None:
    first = await password_step(root.account_id)
    second = await password_step(root.account_id)
    answer_to_first = bobs_key.assertion(first.extensions["webauthn"])

    with pytest.raises(InvalidAuthenticationCode) as wrong:
        await verify(second, answer_to_first)
    assert wrong.value.message == WRONG_KEY
    assert wrong.value.extensions["attemptsLeft"] == 2
    fresh = wrong.value.extensions["webauthn"]  # the second sign-in's challenge was spent
    assert fresh["challenge"] != second.extensions["webauthn"]["challenge"]

    await verify(first, answer_to_first)
    with pytest.raises(Unauthenticated):  # the sign-in is complete: its challenge too
        await verify(first, answer_to_first)
    # Its replay, on the sign-in whose fresh options it does not answer, fails as well.
    with pytest.raises(InvalidAuthenticationCode):
        await verify(second, answer_to_first)
    assert await Session.filter(user_id=bob.id).count() == 1


async def test_answers_for_another_origin_or_relying_party_or_without_presence_fail(
    root: Principal, bob: User, bobs_key: SoftKey
) -> None:
    for changes in (
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"user_present": False},
    ):
        required = await password_step(root.account_id)
        with pytest.raises(InvalidAuthenticationCode):
            await verify(required, bobs_key.assertion(required.extensions["webauthn"], **changes))
    another = SoftKey()  # not bob's: its id is not among his keys
    required = await password_step(root.account_id)
    with pytest.raises(InvalidAuthenticationCode):
        await verify(required, another.assertion(required.extensions["webauthn"]))
    assert await Session.filter(user_id=bob.id).count() == 0
    failures = await AuditEvent.filter(action="gateway:SignIn", outcome="Failed").count()
    assert failures == 4


async def test_a_cloned_key_is_refused_and_flagged(
    root: Principal, bob: User, bobs_key: SoftKey
) -> None:
    required = await password_step(root.account_id)
    await verify(required, bobs_key.assertion(required.extensions["webauthn"]))  # counter 1
    clone = bobs_key.clone()
    required = await password_step(root.account_id)
    await verify(required, bobs_key.assertion(required.extensions["webauthn"]))  # counter 2

    required = await password_step(root.account_id)
    with pytest.raises(InvalidAuthenticationCode):
        await verify(required, clone.assertion(required.extensions["webauthn"]))  # 2 again

    flagged = await AuditEvent.filter(action="gateway:SignIn", outcome="Failed").first()
    assert flagged is not None
    assert flagged.details["cloneSuspected"] is True
    assert flagged.details["serialNumber"].startswith(f"arn:aws:iam::{root.account_id}:u2f/")
    assert (await SecurityKey.get(credential_id=bobs_key.id)).sign_count == 2


async def test_a_passkey_without_a_counter_signs_in_every_time(root: Principal, bob: User) -> None:
    passkey, _ = await register_key(root, "bob", key=SoftKey(counter=False))
    for _ in range(3):
        required = await password_step(root.account_id)
        await verify(required, passkey.assertion(required.extensions["webauthn"]))
    assert (await SecurityKey.get(credential_id=passkey.id)).sign_count == 0


async def test_fifty_answers_at_once_open_one_session(
    root: Principal, bob: User, bobs_key: SoftKey
) -> None:
    required = await password_step(root.account_id)
    answer = bobs_key.assertion(required.extensions["webauthn"])
    results = await asyncio.gather(
        *(verify(required, answer) for _ in range(50)), return_exceptions=True
    )
    opened = [r for r in results if isinstance(r, SignedIn)]
    refused = [r for r in results if isinstance(r, GatewayError)]
    assert len(opened) == 1, results
    assert len(refused) == 49
    assert await Session.filter(user_id=bob.id).count() == 1


async def test_a_code_and_a_key_answer_together_or_neither_are_refused_before_counting(
    root: Principal, bob: User, bobs_key: SoftKey
) -> None:
    required = await password_step(root.account_id)
    answer = bobs_key.assertion(required.extensions["webauthn"])
    for code, credential in ((None, None), ("123456", answer)):
        with pytest.raises(InvalidInput) as raised:
            await verify(required, credential, code=code)
        assert raised.value.message == security_key_assertions.ONE_ANSWER
    await verify(required, answer)  # no attempt was used up


async def test_a_security_key_serial_cannot_stand_in_for_a_code_in_api_calls(
    root: Principal, bob: User, cipher: SeedCipher
) -> None:
    _, key = await register_key(root, "bob")
    with pytest.raises(AccessDenied):  # AWS: FIDO keys do not work with the API or CLI
        await check_caller_code(principal_for_user(bob), key.serial_number, "123456", cipher)
