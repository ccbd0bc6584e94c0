"""`/aws/` in process (gateway/aws/endpoint.py): signatures, actions, parameters, errors and
the audit trail; the real clients' stories are in tests/e2e/test_aws_clients.py."""

from __future__ import annotations

from xml.etree import ElementTree

import httpx

from gateway.models import Account, AuditEvent
from tests.api import Api
from tests.aws.conftest import FORM, Query, key_for
from tests.signing import Key

NS = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/"}


def error_of(response: httpx.Response) -> tuple[int, str, str, str]:
    """(status, Type, Code, Message) of an ErrorResponse."""
    root = ElementTree.fromstring(response.content)
    error = root.find("iam:Error", NS)
    assert error is not None, response.text
    return (
        response.status_code,
        error.findtext("iam:Type", namespaces=NS) or "",
        error.findtext("iam:Code", namespaces=NS) or "",
        error.findtext("iam:Message", namespaces=NS) or "",
    )


async def test_unsigned_and_non_sigv4_requests_are_refused_in_awss_words(
    local_api: Api, query: Query, account: Account
) -> None:
    unsigned = await query(None, "ListUsers")
    bearer = await local_api.client.post(
        "/aws/",
        content="Action=ListUsers&Version=2010-05-08",
        headers={"Content-Type": FORM, "Authorization": "GatewayKey AKIAX:the-secret"},
    )

    assert error_of(unsigned) == (
        403,
        "Sender",
        "MissingAuthenticationToken",
        "The request must contain either a valid (registered) AWS access key ID or X.509 "
        "certificate.",
    )
    status, _, code, message = error_of(bearer)
    assert (status, code) == (400, "IncompleteSignature")
    assert "the-secret" not in message
    assert unsigned.headers["x-amzn-requestid"] == unsigned.headers["x-request-id"]


async def test_the_signing_service_picks_iam_or_sts(query: Query, admin_key: Key) -> None:
    as_sts = await query(admin_key, "GetCallerIdentity", service="sts")
    iam_action_signed_for_sts = await query(admin_key, "ListUsers", service="sts")

    assert as_sts.status_code == 200
    assert b"<GetCallerIdentityResponse" in as_sts.content
    assert iam_action_signed_for_sts.status_code == 400
    assert b"<Code>InvalidAction</Code>" in iam_action_signed_for_sts.content
    assert b"Could not find operation ListUsers for version 2011-06-15" in (
        iam_action_signed_for_sts.content
    )


async def test_unknown_actions_versions_and_parameters_are_refused(
    query: Query, admin_key: Key
) -> None:
    unknown = await query(admin_key, "CreateSAMLProvider")
    old_version = await query(admin_key, "ListUsers", Version="2009-01-01")
    external_id = await query(
        admin_key,
        "AssumeRole",
        service="sts",
        RoleArn="arn:aws:iam::123456789012:role/x",
        RoleSessionName="s",
        ExternalId="abc",
    )
    too_many = await query(admin_key, "ListUsers", MaxItems="1001")
    no_name = await query(admin_key, "CreateUser")
    bad_marker = await query(admin_key, "ListAccessKeys", Marker="elsewhere")

    assert error_of(unknown)[2:] == (
        "InvalidAction",
        "Could not find operation CreateSAMLProvider for version 2010-05-08",
    )
    assert error_of(old_version)[2] == "InvalidAction"
    assert b"<Code>InvalidInput</Code>" in external_id.content
    assert b"does not support the parameter ExternalId of AssumeRole" in external_id.content
    assert error_of(too_many) == (
        400,
        "Sender",
        "ValidationError",
        "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )
    assert error_of(no_name)[2:] == (
        "ValidationError",
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
        "Member must not be null",
    )
    assert error_of(bad_marker)[:3] == (400, "Sender", "InvalidInput")


async def test_writes_are_audited_and_denials_are_access_denied_as_in_graphql(
    local_api: Api, root_token: str, query: Query, admin_key: Key, account: Account
) -> None:
    reader = await key_for(
        local_api, root_token, "reader", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )

    created = await query(admin_key, "CreateUser", UserName="jorge", Path="/shop/")
    denied = await query(reader, "DeleteUser", UserName="jorge")
    missing = await query(admin_key, "DeleteUser", UserName="nobody")

    assert created.status_code == 200, created.text
    assert b"<Arn>arn:aws:iam::" + account.id.encode() + b":user/shop/jorge</Arn>" in (
        created.content
    )
    assert error_of(denied) == (
        403,
        "Sender",
        "AccessDenied",
        f"User: arn:aws:iam::{account.id}:user/reader is not authorized to perform: "
        f"iam:DeleteUser on resource: arn:aws:iam::{account.id}:user/shop/jorge because no "
        "identity-based policy allows the iam:DeleteUser action",
    )
    assert error_of(missing)[:3] == (404, "Sender", "NoSuchEntity")
    events = await AuditEvent.filter(
        action__in=["iam:CreateUser", "iam:DeleteUser"], resource__endswith="/jorge"
    ).order_by("id")
    assert [(e.principal_arn.rsplit("/", 1)[-1], e.action, e.outcome) for e in events] == [
        ("owner-admin", "iam:CreateUser", "Allowed"),
        ("reader", "iam:DeleteUser", "Denied"),
    ]
    assert events[0].request_id == created.headers["x-amzn-requestid"]


async def test_plain_lists_are_paged_with_max_items_and_an_opaque_marker(
    query: Query, admin_key: Key
) -> None:
    for n in range(5):
        assert (
            await query(
                admin_key,
                "TagUser",
                UserName="owner-admin",
                **{"Tags.member.1.Key": f"k{n}", "Tags.member.1.Value": str(n)},
            )
        ).status_code == 200
    pages, marker = [], None
    while True:
        extra: dict[str, str] = {"Marker": marker} if marker else {}
        page = await query(admin_key, "ListUserTags", UserName="owner-admin", MaxItems="2", **extra)
        root = ElementTree.fromstring(page.content)
        pages.append([k.text for k in root.iterfind(".//iam:Key", NS)])
        truncated = root.findtext(".//iam:IsTruncated", namespaces=NS)
        marker = root.findtext(".//iam:Marker", namespaces=NS)
        if truncated == "false":
            assert marker is None
            break

    assert pages == [["k0", "k1"], ["k2", "k3"], ["k4"]]
