"""AWS's wire formats: Query parameters in (gateway/aws/query_input.py), XML out
(gateway/aws/render.py), read back by botocore's own parser."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.parsers import QueryParser
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLString

from gateway.aws.model import service_model
from gateway.aws.query_input import parse_members, to_variable
from gateway.aws.render import error_xml, result_xml
from gateway.errors import ValidationError
from gateway.graphql.schema import build_schema

IAM = service_model("iam")
SCHEMA = build_schema()._schema


def parsed(action: str, body: bytes, status: int = 200) -> dict[str, Any]:
    """What botocore's client makes of `body` as `action`'s answer."""
    model = botocore.session.get_session().get_service_model("iam")
    shape = model.operation_model(action).output_shape
    response = {"body": body, "headers": {}, "status_code": status}
    result: dict[str, Any] = QueryParser().parse(response, shape)
    return result


def test_a_user_renders_in_awss_order_with_utc_timestamps_botocore_reads() -> None:
    data = {
        "User": {
            "arn": "arn:aws:iam::123456789012:user/x",
            "UserId": "AIDAX",
            "userName": "x",
            "path": "/",
            "createDate": "2026-12-04T10:15:00.123+00:00",
            "passwordLastUsed": None,
        }
    }

    body = result_xml(IAM, "GetUser", data, "req-1")

    assert b"<Path>/</Path><UserName>x</UserName><UserId>AIDAX</UserId>" in body
    assert b"<CreateDate>2026-12-04T10:15:00Z</CreateDate>" in body
    assert b"PasswordLastUsed" not in body
    user = parsed("GetUser", body)["User"]
    assert (user["UserName"], user["Arn"], user["CreateDate"].year) == (
        "x",
        data["User"]["arn"],
        2026,
    )
    assert parsed("GetUser", body)["ResponseMetadata"]["RequestId"] == "req-1"


def test_policy_documents_are_url_encoded_and_come_back_as_dictionaries() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a b&c"}],
    }
    data = {
        "PolicyVersion": {
            "Document": {"text": json.dumps(document)},
            "versionId": "v1",
            "isDefaultVersion": True,
            "createDate": "2026-01-01T00:00:00+00:00",
        }
    }

    body = result_xml(IAM, "GetPolicyVersion", data, "r")
    session = botocore.session.get_session()
    client = session.create_client(
        "iam", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    result = parsed("GetPolicyVersion", body)
    client.meta.events.emit(
        "after-call.iam.GetPolicyVersion",
        parsed=result,
        model=client.meta.service_model.operation_model("GetPolicyVersion"),
        http_response=None,
        context={},
    )

    assert b"%22Version%22" in body
    assert result["PolicyVersion"]["Document"] == document
    assert result["PolicyVersion"]["IsDefaultVersion"] is True


def test_enum_values_are_spelled_as_aws_spells_them_and_lists_wrap_members() -> None:
    keys = {
        "AccessKeyMetadata": [
            {
                "userName": "x",
                "accessKeyId": "AKIA1",
                "status": "INACTIVE",
                "createDate": "2026-01-01T00:00:00+00:00",
            }
        ],
        "_": {"IsTruncated": False},
    }
    decisions = {
        "EvaluationResults": [
            {"EvalActionName": "a:b", "EvalDecision": "ALLOW"},
            {"EvalActionName": "a:c", "EvalDecision": "EXPLICIT_DENY"},
        ]
    }

    key_body = result_xml(IAM, "ListAccessKeys", keys, "r")
    decision_body = result_xml(IAM, "SimulatePrincipalPolicy", decisions, "r")

    assert b"<AccessKeyMetadata><member><UserName>x</UserName>" in key_body
    assert parsed("ListAccessKeys", key_body)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    results = parsed("SimulatePrincipalPolicy", decision_body)["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "explicitDeny"]


def test_blobs_are_base64_and_a_data_uri_keeps_its_payload() -> None:
    data = {
        "VirtualMFADevice": {
            "serialNumber": "arn:aws:iam::1:mfa/d",
            "Base32StringSeed": "JBSWY3DPEHPK3PXP",
            "QRCodePNG": "data:image/png;base64,iVBORw0KGgo=",
        }
    }

    device = parsed("CreateVirtualMFADevice", result_xml(IAM, "CreateVirtualMFADevice", data, "r"))

    assert device["VirtualMFADevice"]["Base32StringSeed"] == b"JBSWY3DPEHPK3PXP"
    assert device["VirtualMFADevice"]["QRCodePNG"] == b"\x89PNG\r\n\x1a\n"


def test_an_error_response_is_what_botocore_reads_as_a_client_error() -> None:
    body = error_xml(
        IAM, "NoSuchEntity", "The user with name x cannot be found.", "req-9", sender=True
    )

    error = parsed("GetUser", body, status=404)

    assert error["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The user with name x cannot be found.",
    }
    assert error["ResponseMetadata"]["RequestId"] == "req-9"


def test_form_parameters_are_read_by_the_request_shape() -> None:
    form = {
        "UserName": "jorge",
        "Tags.member.1.Key": "team",
        "Tags.member.1.Value": "till",
        "Tags.member.2.Key": "floor",
        "Tags.member.2.Value": "",
    }
    assert parse_members(IAM, "CreateUserRequest", form) == {
        "UserName": "jorge",
        "Tags": [{"Key": "team", "Value": "till"}, {"Key": "floor", "Value": ""}],
    }
    assert parse_members(IAM, "SimulatePrincipalPolicyRequest", {"ActionNames": ""}) == {
        "ActionNames": []
    }
    sts = service_model("sts")
    form = {"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    arns = parse_members(sts, "AssumeRoleRequest", form)["PolicyArns"]
    assert to_variable(arns, GraphQLList(GraphQLNonNull(GraphQLString)), "PolicyArns") == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ]


def test_values_become_what_the_graphql_types_take() -> None:
    status = SCHEMA.get_type("AccessKeyStatus")
    context = SCHEMA.get_type("ContextEntry")
    tag = SCHEMA.get_type("TagInput")
    assert isinstance(status, GraphQLEnumType)

    assert to_variable("Inactive", status, "Status") == "INACTIVE"
    assert to_variable({"Key": "k", "Value": "v"}, tag, "Tags") == {"key": "k", "value": "v"}  # type: ignore[arg-type]
    entry = {
        "ContextKeyName": "aws:SourceIp",
        "ContextKeyValues": ["1.2.3.4"],
        "ContextKeyType": "ip",
    }
    assert to_variable(entry, context, "ContextEntries") == {  # type: ignore[arg-type]
        "key": "aws:SourceIp",
        "values": ["1.2.3.4"],
    }
    with pytest.raises(ValidationError, match="Member must satisfy enum value set"):
        to_variable("Dormant", status, "Status")
