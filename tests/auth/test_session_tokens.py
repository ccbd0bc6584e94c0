"""GetSessionToken: long-term keys only, AWS's durations, credentials that work and expire."""

from __future__ import annotations

import pytest

from gateway import clock
from gateway.auth.access_keys import authenticate_key
from gateway.auth.session_tokens import (
    MFA_NOT_AVAILABLE,
    SESSION_CREDENTIALS,
    get_session_token,
)
from gateway.auth.sessions import authenticate
from gateway.auth.signin import sign_in_root
from gateway.errors import AccessDenied, ExpiredToken, InvalidInput, ValidationError
from gateway.models import Session, User
from gateway.services.access_keys import create_access_key, delete_access_key
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.conftest import ROOT_EMAIL, ROOT_PASSWORD
from tests.services.conftest import Rejects

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


async def test_mfa_arguments_are_refused_until_devices_exist(
    root: Principal, bob: User, rejects: Rejects
) -> None:
    caller = await key_principal(root, "bob")
    serial = f"arn:aws:iam::{root.account_id}:mfa/bob"
    await rejects(
        get_session_token(caller, serial_number=serial, token_code="123456"),
        InvalidInput,
        MFA_NOT_AVAILABLE,
        action=ACTION,
    )


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
