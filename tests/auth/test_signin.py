"""Password sign-in: one answer and one cost for every kind of failure."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable

import pytest
from argon2 import PasswordHasher

from gateway.auth.signin import SIGN_IN_FAILED, sign_in_root, sign_in_user
from gateway.errors import Unauthenticated
from gateway.models import Account, AuditEvent
from gateway.services.login_profiles import create_login_profile, update_login_profile
from gateway.services.passwords import using_hasher
from gateway.services.principal import Principal
from gateway.services.users import create_user
from tests.conftest import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD

TTL = 3600


@pytest.fixture
async def bob(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)


async def test_a_user_signs_in_with_account_id_or_alias(
    account: Account, root: Principal, bob: None
) -> None:
    from gateway.services.accounts import create_account_alias

    signed_in = await sign_in_user(account.id, "BOB", GOOD_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.arn == f"arn:aws:iam::{account.id}:user/bob"
    await create_account_alias(root, "coffee-shop")
    assert (await sign_in_user("coffee-shop", "bob", GOOD_PASSWORD, ttl_seconds=TTL)).token


@pytest.mark.parametrize(
    ("account_id", "user", "password"),
    [
        (None, "bob", "wrong-password"),
        (None, "nobody", GOOD_PASSWORD),
        ("999999999999", "bob", GOOD_PASSWORD),
        (None, "nopassword", GOOD_PASSWORD),
    ],
    ids=["wrong password", "unknown user", "unknown account", "no login profile"],
)
async def test_every_failure_gets_the_same_error(
    account: Account,
    root: Principal,
    bob: None,
    account_id: str | None,
    user: str,
    password: str,
) -> None:
    await create_user(root, user_name="nopassword")
    with pytest.raises(Unauthenticated) as raised:
        await sign_in_user(account_id or account.id, user, password, ttl_seconds=TTL)
    assert raised.value.message == SIGN_IN_FAILED


async def test_a_failed_sign_in_of_a_known_user_is_audited_without_the_password(
    account: Account, bob: None
) -> None:
    with pytest.raises(Unauthenticated):
        await sign_in_user(account.id, "bob", "wrong-password-123", ttl_seconds=TTL)
    event = await AuditEvent.filter(action="gateway:SignIn").order_by("-id").first()
    assert event is not None
    assert event.outcome == "Failed"
    assert "wrong-password-123" not in str(event.details) + event.resource


async def test_root_signs_in_with_its_email_in_any_case(account: Account) -> None:
    signed_in = await sign_in_root(ROOT_EMAIL.upper(), ROOT_PASSWORD, ttl_seconds=TTL)
    assert signed_in.principal.is_root
    with pytest.raises(Unauthenticated):
        await sign_in_root(ROOT_EMAIL, "not-the-password", ttl_seconds=TTL)


async def _median_seconds(attempt: Callable[[], Awaitable[object]], tries: int = 5) -> float:
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        with contextlib.suppress(Unauthenticated):
            await attempt()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def test_an_unknown_user_costs_about_what_a_wrong_password_costs(
    account: Account, root: Principal, bob: None
) -> None:
    # With real Argon2 costs (the suite uses cheap ones elsewhere), the decoy verification
    # makes both failures take about one hash.
    with using_hasher(PasswordHasher()):
        await update_login_profile(root, "bob", password=GOOD_PASSWORD)
        wrong = await _median_seconds(
            lambda: sign_in_user(account.id, "bob", "wrong-password", ttl_seconds=TTL)
        )
        unknown = await _median_seconds(
            lambda: sign_in_user(account.id, "nobody", "wrong-password", ttl_seconds=TTL)
        )
    assert 0.5 < unknown / wrong < 2.0, (unknown, wrong)
