"""Signing in with MFA: the challenge, verifyMfa, replay and window rules, attempt limits,
lockout and recovery, recovery codes, and what the session then says about MFA."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gateway import clock
from gateway.errors import (
    InvalidAuthenticationCode,
    InvalidInput,
    MfaRequired,
    Throttled,
    Unauthenticated,
)
from gateway.models import AuditEvent, MfaChallenge, Session, SignInThrottle, User
from gateway.services import mfa_challenges, signin, signin_throttling
from gateway.services.login_profiles import create_login_profile
from gateway.services.mfa_devices import current_step, deactivate_mfa_device
from gateway.services.principal import Principal
from gateway.services.recovery_codes import generate_recovery_codes
from gateway.services.seeds import SeedCipher
from gateway.services.signin import SignedIn, sign_in_root, sign_in_user, verify_mfa
from gateway.services.signin_throttling import Lockout, unlock_login_profile
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD
from tests.mfa import Authenticator, enroll

START = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)
TTL = 3600
LOCKOUT = Lockout(identity_failures=5, address_failures=50)
ADDRESS = "192.0.2.7"


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
async def bobs_phone(
    root: Principal, bob: User, cipher: SeedCipher, frozen: clock.FrozenClock
) -> Authenticator:
    app = await enroll(root, cipher, "bob")
    frozen.advance(seconds=30)  # enrolling used the current step's code
    return app


async def password_step(account_id: str) -> str:
    """Sign bob in with his password; the challenge that answers it."""
    with pytest.raises(MfaRequired) as raised:
        await sign_in_user(account_id, "bob", GOOD_PASSWORD, source_ip=ADDRESS, ttl_seconds=TTL)
    assert raised.value.message == mfa_challenges.MFA_REQUIRED
    assert raised.value.extensions["attemptsAllowed"] == mfa_challenges.MAX_ATTEMPTS
    challenge = raised.value.extensions["challenge"]
    assert isinstance(challenge, str)
    return challenge


async def verify(challenge: str, code: str, cipher: SeedCipher) -> SignedIn:
    return await verify_mfa(
        challenge, code, source_ip=ADDRESS, ttl_seconds=TTL, cipher=cipher, lockout=LOCKOUT
    )


async def test_the_password_alone_opens_no_session_and_the_code_completes_it(
    root: Principal, bobs_phone: Authenticator, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    challenge = await password_step(root.account_id)
    assert await Session.filter(user__name="bob").count() == 0
    stored = await MfaChallenge.get()
    assert challenge not in stored.token_hash
    signed_in = await verify(challenge, bobs_phone.code(), cipher)
    session = await Session.get(user__name="bob")
    assert session.mfa_authenticated
    assert session.mfa_authenticated_at == frozen.now()
    frozen.advance(seconds=90)
    context = signed_in.principal.request_context()
    assert context["aws:MultiFactorAuthPresent"] == "true"
    assert context["aws:MultiFactorAuthAge"] == "90"
    event = await AuditEvent.filter(action="gateway:SignIn").order_by("-id").first()
    assert event is not None
    assert event.details["mfa"] == "totp"
    with pytest.raises(Unauthenticated, match="invalid or has expired"):  # spent
        await verify(challenge, bobs_phone.code(1), cipher)


async def test_a_code_is_never_accepted_twice_nor_two_steps_old(
    root: Principal, bobs_phone: Authenticator, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    await verify(await password_step(root.account_id), bobs_phone.code(), cipher)
    challenge = await password_step(root.account_id)
    with pytest.raises(InvalidAuthenticationCode) as replayed:
        await verify(challenge, bobs_phone.code(), cipher)
    assert replayed.value.extensions["attemptsLeft"] == 2
    frozen.advance(seconds=90)
    with pytest.raises(InvalidAuthenticationCode):
        await verify(challenge, bobs_phone.code(-2), cipher)
    signed_in = await verify(challenge, bobs_phone.code(-1), cipher)  # one step of skew
    assert signed_in.principal.mfa_authenticated_at is not None


async def test_a_code_sent_right_after_enabling_says_when_the_next_one_is_accepted(
    root: Principal, bob: User, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    phone = await enroll(root, cipher, "bob")  # spends this step's code and the previous one
    challenge = await password_step(root.account_id)

    with pytest.raises(InvalidAuthenticationCode) as early:
        await verify(challenge, phone.code(), cipher)

    assert early.value.extensions["attemptsLeft"] == 2
    assert early.value.extensions["nextCodeStep"] == current_step(START) + 1
    assert early.value.extensions["nextCodeAt"] == "2026-03-01T12:00:30Z"  # START is 12:00:10
    frozen.advance(seconds=19)
    with pytest.raises(InvalidAuthenticationCode) as still_early:
        await verify(challenge, phone.code(), cipher)
    assert still_early.value.extensions["nextCodeAt"] == "2026-03-01T12:00:30Z"
    frozen.advance(seconds=1)
    signed_in = await verify(challenge, phone.code(), cipher)
    assert signed_in.principal.mfa_authenticated_at == frozen.now()


async def test_a_wrong_code_while_the_shown_one_is_usable_points_at_now(
    root: Principal, bobs_phone: Authenticator, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    challenge = await password_step(root.account_id)
    wrong = "000000" if bobs_phone.code() != "000000" else "111111"

    with pytest.raises(InvalidAuthenticationCode) as refused:
        await verify(challenge, wrong, cipher)

    assert refused.value.extensions["nextCodeStep"] == current_step(frozen.now())
    assert refused.value.extensions["nextCodeAt"] == "2026-03-01T12:00:30Z"  # the step's start
    assert frozen.now().strftime("%Y-%m-%dT%H:%M:%SZ") >= "2026-03-01T12:00:30Z"


async def test_a_refused_recovery_code_names_no_next_code(
    root: Principal, bobs_phone: Authenticator, cipher: SeedCipher
) -> None:
    challenge = await password_step(root.account_id)

    with pytest.raises(InvalidAuthenticationCode) as refused:
        await verify(challenge, "aaaa-bbbb-cccc-dddd", cipher)

    assert "nextCodeAt" not in refused.value.extensions
    assert refused.value.extensions["attemptsLeft"] == 2


async def test_a_challenge_allows_three_codes_and_expires(
    root: Principal, bobs_phone: Authenticator, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    challenge = await password_step(root.account_id)
    for _ in range(mfa_challenges.MAX_ATTEMPTS):
        with pytest.raises(InvalidAuthenticationCode):
            await verify(challenge, "000000" if bobs_phone.code() != "000000" else "111111", cipher)
    with pytest.raises(Unauthenticated, match="Too many codes"):
        await verify(challenge, bobs_phone.code(), cipher)
    assert (await MfaChallenge.get()).attempts == mfa_challenges.MAX_ATTEMPTS
    late = await password_step(root.account_id)
    frozen.advance(seconds=mfa_challenges.CHALLENGE_SECONDS)
    with pytest.raises(Unauthenticated, match="invalid or has expired"):
        await verify(late, bobs_phone.code(), cipher)
    with pytest.raises(Unauthenticated, match="invalid or has expired"):
        await verify("gwc_" + "0" * 64, bobs_phone.code(), cipher)


async def test_wrong_codes_lock_the_user_until_root_unlocks(
    root: Principal, bob: User, bobs_phone: Authenticator, cipher: SeedCipher
) -> None:
    wrong = "000000" if bobs_phone.code() != "000000" else "111111"
    for _ in range(LOCKOUT.identity_failures):
        challenge = await password_step(root.account_id)  # a right password clears nothing
        with pytest.raises(InvalidAuthenticationCode):
            await verify(challenge, wrong, cipher)
    key = signin_throttling.attempts_key(signin_throttling.identity_key(bob.arn), ADDRESS)
    counter = await SignInThrottle.get(key=key)
    assert counter.failures == LOCKOUT.identity_failures
    assert counter.locked_until is not None
    with pytest.raises(Throttled):  # the right password, then the right code: still locked
        await sign_in_user(
            root.account_id,
            "bob",
            GOOD_PASSWORD,
            source_ip=ADDRESS,
            ttl_seconds=TTL,
            lockout=LOCKOUT,
        )
    await unlock_login_profile(root, "bob")
    challenge = await password_step(root.account_id)
    await verify(challenge, bobs_phone.code(), cipher)
    assert not await SignInThrottle.filter(key=signin_throttling.identity_key(bob.arn)).exists()


async def test_a_locked_identity_cannot_answer_a_challenge_it_already_holds(
    root: Principal, bob: User, bobs_phone: Authenticator, cipher: SeedCipher
) -> None:
    challenge = await password_step(root.account_id)
    counters = signin_throttling.counters(signin_throttling.identity_key(bob.arn), ADDRESS, LOCKOUT)
    for _ in range(LOCKOUT.identity_failures):
        await signin_throttling.reserve(counters, LOCKOUT)  # attempts that were never taken back
    with pytest.raises(Throttled):
        await verify(challenge, bobs_phone.code(), cipher)


async def test_forty_challenges_answered_three_times_at_once_check_at_most_the_threshold(
    root: Principal, bob: User, bobs_phone: Authenticator, cipher: SeedCipher
) -> None:
    """120 wrong codes at once, three on each of 40 challenges: the identity's threshold
    bounds how many are checked, not the challenges' attempts (40 x 3)."""
    challenges = [await password_step(root.account_id) for _ in range(40)]
    wrong = "000000" if bobs_phone.code() != "000000" else "111111"
    outcomes = await asyncio.gather(
        *(verify(challenge, wrong, cipher) for challenge in challenges for _ in range(3)),
        return_exceptions=True,
    )
    checked = sum(isinstance(outcome, InvalidAuthenticationCode) for outcome in outcomes)
    assert checked == LOCKOUT.identity_failures
    assert all(isinstance(outcome, Throttled | InvalidAuthenticationCode) for outcome in outcomes)
    audited = await AuditEvent.filter(error_code="InvalidAuthenticationCode").count()
    assert audited == LOCKOUT.identity_failures


async def test_a_recovery_code_stands_in_for_a_lost_device_once(
    root: Principal, bob: User, bobs_phone: Authenticator, cipher: SeedCipher
) -> None:
    with pytest.raises(InvalidInput, match="need an enabled MFA device"):
        await generate_recovery_codes(root, None)
    codes = await generate_recovery_codes(root, "bob")
    assert len(codes) == 10
    assert len(set(codes)) == 10
    signed_in = await verify(await password_step(root.account_id), codes[3].upper(), cipher)
    assert signed_in.principal.mfa_authenticated_at is not None
    with pytest.raises(InvalidAuthenticationCode):
        await verify(await password_step(root.account_id), codes[3], cipher)
    replaced = await generate_recovery_codes(root, "bob")
    with pytest.raises(InvalidAuthenticationCode):  # the old set is gone
        await verify(await password_step(root.account_id), codes[4], cipher)
    await verify(await password_step(root.account_id), replaced[0], cipher)


async def test_after_an_administrator_deactivates_the_device_the_password_suffices(
    root: Principal, bob: User, bobs_phone: Authenticator
) -> None:
    await deactivate_mfa_device(root, user_name="bob", serial_number=bobs_phone.serial_number)
    signed_in = await sign_in_user(root.account_id, "bob", GOOD_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.mfa_authenticated_at is None
    assert signed_in.principal.request_context()["aws:MultiFactorAuthPresent"] == "false"


async def test_root_signs_in_with_its_own_device(
    root: Principal, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    app = await enroll(root, cipher, None)
    frozen.advance(seconds=30)
    with pytest.raises(MfaRequired) as raised:
        await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=TTL)
    signed_in = await signin.verify_mfa(
        raised.value.extensions["challenge"], app.code(), ttl_seconds=TTL, cipher=cipher
    )
    assert signed_in.principal.is_root
    assert signed_in.principal.mfa_authenticated_at == frozen.now()


async def test_a_wrong_password_never_reaches_the_mfa_step(
    root: Principal, bobs_phone: Authenticator
) -> None:
    with pytest.raises(Unauthenticated, match="authentication information is incorrect"):
        await sign_in_user(root.account_id, "bob", "Wrong-Passw0rd", ttl_seconds=TTL)
    assert await MfaChallenge.all().count() == 0
