"""Every gateway error says how an HTTP answer carries it (`gateway/errors.py`): a status, and
the headers it implies. What the GraphQL view sends is checked in tests/graphql/test_view.py."""

from __future__ import annotations

import pytest

from gateway import errors
from gateway.errors import GatewayError, Throttled


def _all_errors() -> list[type[GatewayError]]:
    found: list[type[GatewayError]] = []
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop()
        if cls.__module__ == errors.__name__:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


ALL_ERRORS = _all_errors()

NOT_400 = {
    "Unauthenticated": 401,
    "InvalidClientTokenId": 401,
    "SignatureDoesNotMatch": 401,
    "IncompleteSignature": 401,
    "RequestExpired": 401,
    "MissingAuthenticationToken": 401,
    "ExpiredToken": 401,
    "AccessDenied": 403,
    "PasswordChangeRequired": 403,
    "Throttled": 429,
}
"""The statuses other than 400 (the table the GraphQL view kept before they moved here)."""


def test_every_error_of_the_module_is_checked() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, GatewayError)
    }

    assert {cls.__name__ for cls in ALL_ERRORS} == defined
    assert set(NOT_400) <= defined


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_has_an_http_status(cls: type[GatewayError]) -> None:
    assert isinstance(cls.http_status, int)
    assert cls.http_status == NOT_400.get(cls.__name__, 400)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
def test_errors_imply_no_headers_unless_they_say(cls: type[GatewayError]) -> None:
    assert cls("Refused.").http_headers() == {}


def test_a_throttled_error_says_when_to_retry() -> None:
    error = Throttled("Too many attempts.", retryAfterSeconds=42)

    assert error.retry_after == 42
    assert error.http_headers() == {"Retry-After": "42"}


def test_a_throttled_error_without_a_wait_has_no_retry_after() -> None:
    error = Throttled("Too many attempts.")

    assert error.retry_after is None
    assert error.http_headers() == {}


def test_the_headers_are_a_new_dict_each_time() -> None:
    """The view adds `WWW-Authenticate` to the dict it gets: nothing else may see that."""
    error = Throttled("Too many attempts.", retryAfterSeconds=1)
    error.http_headers()["WWW-Authenticate"] = "Bearer"
    plain = GatewayError("Refused.")
    plain.http_headers()["WWW-Authenticate"] = "Bearer"

    assert error.http_headers() == {"Retry-After": "1"}
    assert plain.http_headers() == {}
