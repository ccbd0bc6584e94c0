"""CloudTrail's names for audited actions (gateway/services/event_names.py).

The expected values are CloudTrail's, from its documentation: IAM and STS API events
(https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html, "Example IAM API
events" and "Example AWS STS API events") and console sign-in events
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
"""

from __future__ import annotations

import pytest

from gateway.services.event_names import EventName, event_name, response_elements

CASES = [
    ("iam:CreateUser", {}, EventName("iam.amazonaws.com", "CreateUser", "AwsApiCall", False)),
    ("iam:GetUserPolicy", {}, EventName("iam.amazonaws.com", "GetUserPolicy", "AwsApiCall", True)),
    ("iam:ListUsers", {}, EventName("iam.amazonaws.com", "ListUsers", "AwsApiCall", True)),
    ("iam:DeleteRole", {}, EventName("iam.amazonaws.com", "DeleteRole", "AwsApiCall", False)),
    ("sts:AssumeRole", {}, EventName("sts.amazonaws.com", "AssumeRole", "AwsApiCall", True)),
    (
        "sts:GetSessionToken",
        {},
        EventName("sts.amazonaws.com", "GetSessionToken", "AwsApiCall", True),
    ),
    (
        "gateway:SignIn",
        {},
        EventName("signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn", False),
    ),
    (
        "sts:AssumeRole",
        {"switchedFrom": "0123abcd"},
        EventName("signin.amazonaws.com", "SwitchRole", "AwsConsoleSignIn", False),
    ),
    (
        "gateway:SwitchBack",
        {},
        EventName("signin.amazonaws.com", "ExitRole", "AwsConsoleSignIn", False),
    ),
    (
        "cloudtrail:LookupEvents",
        {},
        EventName("cloudtrail.amazonaws.com", "LookupEvents", "AwsApiCall", True),
    ),
    (
        "gateway:RevokeSessions",
        {},
        EventName("gateway.amazonaws.com", "RevokeSessions", "AwsApiCall", False),
    ),
]


@pytest.mark.parametrize(("action", "details", "expected"), CASES)
def test_actions_get_cloudtrails_event_source_name_type_and_read_only(
    action: str, details: dict[str, str], expected: EventName
) -> None:
    assert event_name(action, details) == expected


def test_a_create_call_names_the_new_entitys_id_and_arn_and_nothing_else() -> None:
    arn = "arn:aws:iam::123456789012:user/Bob"
    details = {"userName": "Bob", "userId": "AIDAEXAMPLEBOB000001"}
    elements = response_elements(event_name("iam:CreateUser"), arn, details, succeeded=True)
    assert elements == {"user": {"userId": "AIDAEXAMPLEBOB000001", "arn": arn}}


def test_assume_role_names_the_assumed_role_user_and_the_key_id_but_no_session_token() -> None:
    details = {
        "assumedRoleArn": "arn:aws:sts::123456789012:assumed-role/Cashier/till-1",
        "assumedRoleId": "AROAEXAMPLECASHIER01:till-1",
        "accessKeyId": "ASIAEXAMPLEKEY000001",
    }
    role = "arn:aws:iam::123456789012:role/Cashier"
    elements = response_elements(event_name("sts:AssumeRole"), role, details, succeeded=True)
    assert elements == {
        "assumedRoleUser": {
            "assumedRoleId": "AROAEXAMPLECASHIER01:till-1",
            "arn": "arn:aws:sts::123456789012:assumed-role/Cashier/till-1",
        },
        "credentials": {"accessKeyId": "ASIAEXAMPLEKEY000001"},
    }


def test_console_sign_in_events_carry_their_outcome_as_cloudtrail_does() -> None:
    login = event_name("gateway:SignIn")
    assert response_elements(login, "x", {}, succeeded=True) == {"ConsoleLogin": "Success"}
    assert response_elements(login, "x", {}, succeeded=False) == {"ConsoleLogin": "Failure"}
    switch = event_name("sts:AssumeRole", {"switchedFrom": "s"})
    assert response_elements(switch, "x", {}, succeeded=True) == {"SwitchRole": "Success"}


def test_a_failed_call_has_no_response_elements() -> None:
    create = event_name("iam:CreateUser")
    assert response_elements(create, "arn", {"userId": "AIDA"}, succeeded=False) is None
