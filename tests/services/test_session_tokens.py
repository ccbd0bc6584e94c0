"""GetSessionToken: long-term keys only, AWS's durations, credentials that work and expire."""

from __future__ import annotations

import pytest

from gateway import clock
from gateway.auth.access_keys import authenticate_key
from gateway.auth.sessions import authenticate
from gateway.errors import AccessDenied, ExpiredToken, InvalidInput, ValidationError
from gateway.models import Session, SignInThrottle, User
from gateway.services.access_keys import create_access_key, delete_access_key
from gateway.services.mfa_challenges import MFA_PAIR
from gateway.services.mfa_devices import MFA_FAILED
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.session_tokens import (
    SESSION_CREDENTIALS,
    get_session_token,
)
from gateway.services.signin import sign_in_root
from gateway.services.signin_throttling import identity_key
from gateway.services.users import create_user
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.mfa import enroll
from tests.services.helpers import Rejects

ACTION = "sts:GetSessionToken"


async def key_principal(root: Principal, user_name: str | None = None) -> Principal:
    created = await create_access_key(root, user_name, root_keys_allowed=True)
    auth = await authenticate_key(f"{created.key.id}:{created.secret}")
    return auth.principal


@pytest.fixture
async def bob(root: Principal) -> User:
    return await create_user(root, user_name="bob")


async def test_credentials_default_to_twelve_hours_and_work_both_ways(
    root: Principal, bob: User
) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        caller = await key_principal(root, "bob")
        credentials = await get_session_token(caller)
        assert credentials.access_key_id.startswith("ASIA")
        assert len(credentials.secret_access_key) == 40
        assert (credentials.expiration - fake.now()).total_seconds() == 43_200
        by_token = await authenticate(credentials.session_token)
        by_key = await authenticate_key(
            f"{credentials.access_key_id}:{credentials.secret_access_key}"
        )
        for auth in (by_token, by_key):
            assert auth.principal.arn == bob.arn
            assert auth.principal.session_id is not None
            assert not auth.principal.long_term_key
            context = auth.principal.request_context()
            assert context["aws:MultiFactorAuthPresent"] == "false"
            assert "aws:MultiFactorAuthAge" not in context
        stored = await Session.get(access_key_id=credentials.access_key_id)
        assert stored.via_access_key == caller.access_key_id
        assert credentials.secret_access_key not in (stored.secret_hash or "")


async def test_the_credentials_expire(root: Principal, bob: User) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        caller = await key_principal(root, "bob")
        credentials = await get_session_token(caller, duration_seconds=900)
        await authenticate(credentials.session_token)
        fake.advance(seconds=901)
        with pytest.raises(ExpiredToken):
            await authenticate(credentials.session_token)
        with pytest.raises(ExpiredToken):
            await authenticate_key(f"{credentials.access_key_id}:{credentials.secret_access_key}")


async def test_they_outlive_the_key_that_asked_for_them(root: Principal, bob: User) -> None:
    caller = await key_principal(root, "bob")
    credentials = await get_session_token(caller)
    assert caller.access_key_id is not None
    await delete_access_key(root, caller.access_key_id, "bob")
    await authenticate(credentials.session_token)


async def test_root_sessions_are_cut_to_one_hour(root: Principal) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        caller = await key_principal(root)
        default = await get_session_token(caller)
        longer = await get_session_token(caller, duration_seconds=7200)
        for credentials in (default, longer):
            assert (credentials.expiration - fake.now()).total_seconds() == 3600
        assert (await authenticate(default.session_token)).principal.is_root


@pytest.mark.parametrize(
    ("duration", "constraint"),
    [
        (899, "Member must have value greater than or equal to 900"),
        (129_601, "Member must have value less than or equal to 129600"),
    ],
)
async def test_durations_outside_aws_range_are_refused(
    root: Principal, bob: User, rejects: Rejects, duration: int, constraint: str
) -> None:
    caller = await key_principal(root, "bob")
    await rejects(
        get_session_token(caller, duration_seconds=duration),
        ValidationError,
        f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
        f"satisfy constraint: {constraint}",
        action=ACTION,
    )


async def test_the_longest_duration_is_thirty_six_hours(root: Principal, bob: User) -> None:
    caller = await key_principal(root, "bob")
    credentials = await get_session_token(caller, duration_seconds=129_600)
    assert credentials.expiration > clock.now()


async def test_an_mfa_code_makes_credentials_that_carry_mfa(
    root: Principal, bob: User, cipher: SeedCipher
) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        phone = await enroll(root, cipher, "bob")
        caller = await key_principal(root, "bob")
        fake.advance(seconds=30)
        credentials = await get_session_token(
            caller, serial_number=phone.serial_number, token_code=phone.code(), cipher=cipher
        )
        principal = (await authenticate(credentials.session_token)).principal
        assert principal.mfa_authenticated_at == fake.now()
        assert not principal.temporary_without_mfa  # may call IAM operations
        fake.advance(seconds=120)
        context = principal.request_context()
        assert context["aws:MultiFactorAuthPresent"] == "true"
        assert context["aws:MultiFactorAuthAge"] == "120"
        assert (await Session.get(access_key_id=credentials.access_key_id)).mfa_authenticated
        with pytest.raises(AccessDenied, match=MFA_FAILED):  # the same code again
            await get_session_token(
                caller, serial_number=phone.serial_number, token_code=phone.code(-4), cipher=cipher
            )
        assert await Session.filter(user_id=bob.id).count() == 1  # nothing more issued
        # A wrong code counts as a failed sign-in of the caller (so codes cannot be guessed).
        failures = await SignInThrottle.get(key=identity_key(bob.arn))
        assert failures.failures == 1


async def test_mfa_arguments_come_in_pairs(
    root: Principal, bob: User, cipher: SeedCipher, rejects: Rejects
) -> None:
    caller = await key_principal(root, "bob")
    serial = f"arn:aws:iam::{root.account_id}:mfa/bob"
    await rejects(
        get_session_token(caller, serial_number=serial, cipher=cipher),
        InvalidInput,
        MFA_PAIR,
        action=ACTION,
    )
    with pytest.raises(AccessDenied, match=MFA_FAILED):  # a device that is not the caller's
        await get_session_token(caller, serial_number=serial, token_code="123456", cipher=cipher)
    assert await Session.filter(user_id=bob.id).count() == 0


async def test_session_callers_are_refused(account: object, rejects: Rejects) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=3600)
    await rejects(
        get_session_token(signed_in.principal), AccessDenied, SESSION_CREDENTIALS, action=ACTION
    )


async def test_temporary_credentials_cannot_ask_for_more(
    root: Principal, bob: User, rejects: Rejects
) -> None:
    caller = await key_principal(root, "bob")
    credentials = await get_session_token(caller)
    temporary = (await authenticate(credentials.session_token)).principal
    await rejects(get_session_token(temporary), AccessDenied, SESSION_CREDENTIALS, action=ACTION)
