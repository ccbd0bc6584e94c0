"""Root-only tasks and required root MFA over the API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tortoise.context import TortoiseContext

from gateway.app import create_app
from gateway.config import Settings
from gateway.models import Account, AuditEvent
from gateway.services.builtin import ensure_builtin_policies
from tests.api import Api, sign_in_root
from tests.graphql.test_authorization import make_user
from tests.graphql.test_mfa import enrol
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD, TEST_SECRET_KEY

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
WHO = "{ whoAmI { arn mfaEnrollmentRequired mfaAuthenticated passwordChangeRequired } }"
SIGN_IN_ROOT = (
    "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p)"
    " { token identity { mfaEnrollmentRequired } } }"
)


@pytest.fixture
async def strict_api(db: TortoiseContext, database_url: str) -> AsyncIterator[Api]:
    """An in-process gateway with GATEWAY_ROOT_MFA=required."""
    await ensure_builtin_policies()
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, root_mfa="required")
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield Api(client)


async def test_an_administrator_cannot_do_root_only_tasks(local_api: Api, account: Account) -> None:
    root_token = await sign_in_root(local_api)
    token = await make_user(local_api, root_token, "owner-admin", ADMIN)

    renamed = await local_api(
        'mutation { updateAccountName(accountName: "Not Mine") }', token=token
    )
    email = await local_api(
        "mutation($p: String!) {"
        ' updateAccountEmailAddress(email: "thief@example.com", password: $p) }',
        {"p": ROOT_PASSWORD},
        token=token,
    )
    by_root = await local_api(
        'mutation { updateAccountName(accountName: "Coffee Shop") }', token=root_token
    )
    read = await local_api("{ accountName accountEmailAddress }", token=token)

    assert renamed.error_codes() == ["AccessDenied"]
    assert renamed.only_error()["extensions"]["deniedBy"] == "root-only"
    assert email.error_codes() == ["AccessDenied"]
    assert by_root.data == {"updateAccountName": "Coffee Shop"}
    assert read.data == {"accountName": "Coffee Shop", "accountEmailAddress": ROOT_EMAIL}
    attempt = await AuditEvent.filter(action="iam:UpdateAccountEmailAddress").get()
    assert attempt.outcome == "Failed"
    assert attempt.request_parameters is not None
    assert attempt.request_parameters["password"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert ROOT_PASSWORD not in str(attempt.request_parameters)


async def test_required_root_mfa_leaves_a_root_without_a_device_only_enrolment(
    strict_api: Api, account: Account
) -> None:
    signed_in = await strict_api(SIGN_IN_ROOT, {"e": ROOT_EMAIL, "p": ROOT_PASSWORD})
    assert signed_in.errors == []
    assert signed_in.data is not None
    assert signed_in.data["signInRoot"]["identity"]["mfaEnrollmentRequired"] is True
    token = signed_in.data["signInRoot"]["token"]

    who = await strict_api(WHO, token=token)
    users = await strict_api("{ users { nodes { userName } } }", token=token)
    app = await enrol(strict_api, token, "root-phone", None)
    still = await strict_api('mutation { createUser(input: {userName: "x"}) { arn } }', token=token)
    again = await strict_api(SIGN_IN_ROOT, {"e": ROOT_EMAIL, "p": ROOT_PASSWORD})

    assert who.data is not None
    assert who.data["whoAmI"]["mfaEnrollmentRequired"] is True
    assert users.error_codes() == ["MfaEnrollmentRequired"]
    assert app.serial_number == f"arn:aws:iam::{account.id}:mfa/root-phone"
    assert still.error_codes() == ["MfaEnrollmentRequired"]
    assert again.error_codes() == ["MfaRequired"]
    refused = await AuditEvent.filter(error_code="MfaEnrollmentRequired").count()
    assert refused == 2


async def test_optional_root_mfa_signs_root_in_unrestricted(
    local_api: Api, account: Account
) -> None:
    token = await sign_in_root(local_api)

    who = await local_api(WHO, token=token)

    assert who.data is not None
    assert who.data["whoAmI"]["mfaEnrollmentRequired"] is False
