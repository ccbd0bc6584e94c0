"""Password hashing and AWS's password rules (gateway/services/passwords.py)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import PasswordPolicyViolation, ValidationError
from gateway.services.passwords import (
    DEFAULT_PASSWORD_POLICY,
    PasswordPolicy,
    check_password_policy,
    hash_password,
    needs_rehash,
    using_hasher,
    verify_password,
)

LENGTH = "Password should have a minimum length of 8"
TYPES = (
    "Password should have at least 3 of the following character types: uppercase letters, "
    "lowercase letters, numbers, and symbols (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')"
)
IDENTICAL = (
    "Password should not be identical to the user name, account ID, account alias or e-mail address"
)


def test_hash_is_argon2id_and_verifies_only_the_same_password() -> None:
    hashed = hash_password("Sup3r-Secret")

    assert hashed.startswith("$argon2id$")
    assert "Sup3r-Secret" not in hashed
    assert verify_password(hashed, "Sup3r-Secret")
    assert not verify_password(hashed, "sup3r-secret")
    assert hash_password("Sup3r-Secret") != hashed  # salted


@pytest.mark.parametrize("stored", ["", "plain text", "$argon2id$v=19$garbage", "$2b$12$x"])
def test_verify_never_raises_on_a_malformed_hash(stored: str) -> None:
    assert verify_password(stored, "anything") is False


def test_default_hasher_uses_argon2id_default_parameters() -> None:
    with using_hasher(PasswordHasher()):
        hashed = hash_password("Sup3r-Secret")

    assert "$argon2id$v=19$m=65536,t=3,p=4$" in hashed
    with using_hasher(PasswordHasher()):
        assert not needs_rehash(hashed)


def test_needs_rehash_when_parameters_change_or_hash_is_invalid() -> None:
    hashed = hash_password("Sup3r-Secret")

    assert "$m=8,t=1,p=1$" in hashed  # the tests' cheap hasher
    assert not needs_rehash(hashed)
    with using_hasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)):
        assert needs_rehash(hashed)
    assert needs_rehash("not a hash")


@pytest.mark.parametrize(
    "password",
    [
        "Passw0rd",  # upper, lower, number
        "passw0rd!",  # lower, number, symbol
        "PASSWORD1'",  # upper, number, symbol
        "Password|",  # upper, lower, symbol
        "Aa1" + "x" * 125,  # 128 characters
    ],
)
def test_default_policy_accepts_three_character_types_and_eight_characters(
    password: str,
) -> None:
    check_password_policy(password, user_name="bob")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Pass0rd", LENGTH),
        ("password", TYPES),
        ("PASSWORD12", TYPES),
        ("abcdefg~1", TYPES),  # "~" is not one of AWS's symbols
        ("abc", f"{LENGTH}; {TYPES}"),
    ],
)
def test_default_policy_lists_every_broken_rule(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyViolation) as raised:
        check_password_policy(password)

    assert raised.value.message == message
    assert raised.value.code == "PasswordPolicyViolation"


@pytest.mark.parametrize(
    ("password", "identifiers"),
    [
        ("Bob-Smith1", {"user_name": "bob-smith1"}),
        ("My-Alias-1", {"account_alias": "my-alias-1"}),
        ("Root@Example1.com", {"email": "root@example1.com"}),
        ("123456789012", {"account_id": "123456789012"}),
    ],
)
def test_password_must_not_equal_the_user_name_alias_id_or_email(
    password: str, identifiers: dict[str, str]
) -> None:
    with pytest.raises(PasswordPolicyViolation) as raised:
        check_password_policy(password, **identifiers)  # type: ignore[arg-type]

    assert IDENTICAL in raised.value.message


@pytest.mark.parametrize(
    ("password", "constraint"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("Aa1!" * 32 + "x", "Member must have length less than or equal to 128"),
        (
            "Pässw0rd€",
            "Member must satisfy regular expression pattern: "
            "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ),
    ],
)
def test_length_and_alphabet_are_validation_errors_that_never_echo_the_password(
    password: str, constraint: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        check_password_policy(password)

    assert raised.value.message == (
        f"1 validation error detected: Value at 'password' failed to satisfy constraint: "
        f"{constraint}"
    )


def test_a_custom_policy_can_be_passed() -> None:
    strict = PasswordPolicy(
        minimum_password_length=14,
        require_uppercase_characters=True,
        require_lowercase_characters=True,
        require_numbers=True,
        require_symbols=True,
    )

    with pytest.raises(PasswordPolicyViolation) as raised:
        check_password_policy("alllowercase", policy=strict)

    assert raised.value.message == (
        "Password should have a minimum length of 14; "
        "Password should have at least one uppercase letter; "
        "Password should have at least one number; "
        "Password should have at least one of the following symbols: "
        "! @ # $ % ^ & * ( ) _ + - = [ ] { } | '"
    )
    check_password_policy("Longer-Passw0rd", policy=strict)
    check_password_policy("x", policy=PasswordPolicy(minimum_password_length=1))
    assert DEFAULT_PASSWORD_POLICY.minimum_character_types == 3


@given(st.text(min_size=8, max_size=200))
def test_any_password_is_accepted_or_refused_without_being_echoed(password: str) -> None:
    message = ""
    try:
        check_password_policy(password, user_name="bob")
    except (ValidationError, PasswordPolicyViolation) as error:
        message = error.message
    assert password not in message
