"""The credential report, the account summary, ValidatePolicy and the custom simulator over
the API: AWS's action names guard them, and their answers have AWS's shape."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from gateway.graphql.schema import build_schema
from gateway.models import Account
from tests.api import Api, sign_in_root
from tests.graphql.test_authorization import BUCKET, create_policy, document, make_user


@pytest.fixture
async def local_root(local_api: Api, account: Account) -> str:
    """A root session on the in-process gateway (no uvicorn server for these tests)."""
    return await sign_in_root(local_api)


REPORT = "{ credentialReport { content reportFormat generatedTime rows { user passwordEnabled } } }"
GENERATE = "mutation { generateCredentialReport { state description } }"


async def test_the_credential_report_is_generated_then_read_as_csv_and_typed(
    api: Api, root_token: str, account: Account
) -> None:
    missing = await api(REPORT, token=root_token)
    assert missing.error_codes() == ["ReportNotPresent"]
    await make_user(api, root_token, "jorge")

    started = await api(GENERATE, token=root_token)
    again = await api(GENERATE, token=root_token)
    report = await api(REPORT, token=root_token)

    assert started.data == {
        "generateCredentialReport": {
            "state": "STARTED",
            "description": "No report exists. Starting a new report generation task",
        }
    }
    assert again.data is not None
    assert again.data["generateCredentialReport"]["state"] == "COMPLETE"
    assert report.errors == []
    assert report.data is not None
    got = report.data["credentialReport"]
    rows = list(csv.DictReader(io.StringIO(got["content"])))
    assert [row["user"] for row in rows] == ["<root_account>", "jorge"]
    assert rows[1]["password_enabled"] == "true"
    assert got["reportFormat"] == "text/csv"
    assert got["rows"] == [
        {"user": "<root_account>", "passwordEnabled": None},
        {"user": "jorge", "passwordEnabled": True},
    ]


async def test_report_fields_need_awss_actions(local_api: Api, local_root: str) -> None:
    token = await make_user(local_api, local_root, "auditor")
    denied = await local_api(GENERATE, token=token)
    assert denied.error_codes() == ["AccessDenied"]
    assert "iam:GenerateCredentialReport on resource: *" in denied.only_error()["message"]

    readers = document(
        {
            "Effect": "Allow",
            "Action": [
                "iam:GenerateCredentialReport",
                "iam:GetCredentialReport",
                "iam:GetAccountSummary",
            ],
            "Resource": "*",
        }
    )
    arn = await create_policy(local_api, local_root, "Auditing", readers)
    attached = await local_api(
        'mutation($a: String!) { attachUserPolicy(userName: "auditor", policyArn: $a)'
        " { userName } }",
        {"a": arn},
        token=local_root,
    )
    assert attached.errors == []
    assert (await local_api(GENERATE, token=token)).errors == []
    assert (await local_api(REPORT, token=token)).errors == []
    summary = await local_api("{ accountSummary { summaryMap { key value } } }", token=token)
    assert summary.data is not None
    assert summary.data["accountSummary"]["summaryMap"][0] == {"key": "Users", "value": 1}


VALIDATE = (
    "query($d: String!, $t: PolicyType!, $r: String) { validatePolicy(policyDocument: $d,"
    " policyType: $t, validatePolicyResourceType: $r) { findingType issueCode findingDetails"
    " learnMoreLink locations { path { index key value } span { start { line column offset }"
    " end { line column offset } } } } }"
)


async def test_validate_policy_answers_in_access_analyzers_shape(
    local_api: Api, local_root: str
) -> None:
    star = document({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})

    result = await local_api(VALIDATE, {"d": star, "t": "IDENTITY_POLICY"}, token=local_root)

    assert result.errors == []
    assert result.data is not None
    (found,) = result.data["validatePolicy"]
    assert found["findingType"] == "SECURITY_WARNING"
    assert found["issueCode"] == "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    assert found["locations"][0]["path"] == [
        {"index": None, "key": None, "value": "Statement"},
        {"index": 0, "key": None, "value": None},
        {"index": None, "key": None, "value": "Resource"},
    ]
    span = found["locations"][0]["span"]
    assert star[span["start"]["offset"] : span["end"]["offset"]] == '"*"'


async def test_validate_policy_refuses_input_aws_refuses(local_api: Api, local_root: str) -> None:
    fine = document({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET})

    wrong_type = await local_api(
        VALIDATE, {"d": fine, "t": "IDENTITY_POLICY", "r": "AWS::S3::Bucket"}, token=local_root
    )
    unknown_type = await local_api(
        VALIDATE, {"d": fine, "t": "RESOURCE_POLICY", "r": "AWS::Nope"}, token=local_root
    )
    scp = await local_api(VALIDATE, {"d": fine, "t": "SERVICE_CONTROL_POLICY"}, token=local_root)

    assert wrong_type.error_codes() == ["ValidationError"]
    assert unknown_type.error_codes() == ["ValidationError"]
    assert scp.error_codes() == ["InvalidInput"]


async def test_simulate_custom_policy_and_its_context_keys(
    local_api: Api, local_root: str, account: Account
) -> None:
    mfa_only = document(
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": BUCKET,
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    )
    query = (
        "query($p: [String!]!, $c: [ContextEntry!]) { simulateCustomPolicy(policyInputList: $p,"
        ' actionNames: ["s3:ListBucket"], resourceArns: ["' + BUCKET + '"], context: $c)'
        " { action effect evalDecision missingContextKeys statements { policy } } }"
    )

    without = await local_api(query, {"p": [mfa_only]}, token=local_root)
    with_mfa = await local_api(
        query,
        {"p": [mfa_only], "c": [{"key": "aws:MultiFactorAuthPresent", "values": ["true"]}]},
        token=local_root,
    )
    keys = await local_api(
        "query($p: [String!]!) { contextKeysForCustomPolicy(policyInputList: $p) }",
        {"p": [mfa_only]},
        token=local_root,
    )

    assert without.data == {
        "simulateCustomPolicy": [
            {"action": "s3:ListBucket", "effect": "IMPLICIT_DENY", "evalDecision": "implicitDeny",
             "missingContextKeys": ["aws:MultiFactorAuthPresent"], "statements": []}
        ]
    }  # fmt: skip
    assert with_mfa.data is not None
    assert with_mfa.data["simulateCustomPolicy"][0]["effect"] == "ALLOW"
    assert with_mfa.data["simulateCustomPolicy"][0]["statements"] == [
        {"policy": "PolicyInputList.1"}
    ]
    assert keys.data == {"contextKeysForCustomPolicy": ["aws:MultiFactorAuthPresent"]}


async def test_principal_context_keys_need_permission_on_that_principal(
    local_api: Api, local_root: str, account: Account
) -> None:
    token = await make_user(local_api, local_root, "nosy")
    query = "query($a: String!) { contextKeysForPrincipalPolicy(policySourceArn: $a) }"
    arn = f"arn:aws:iam::{account.id}:user/nosy"

    as_root = await local_api(query, {"a": arn}, token=local_root)
    as_nosy = await local_api(query, {"a": arn}, token=token)

    assert as_root.data == {"contextKeysForPrincipalPolicy": []}
    assert as_nosy.error_codes() == ["AccessDenied"]
    assert "iam:GetContextKeysForPrincipalPolicy" in as_nosy.only_error()["message"]


ANALYSIS_FIELDS = [
    ("{ findings { nodes { id } } }", "access-analyzer:ListFindingsV2", "analyzer/gateway"),
    (
        'mutation { updateFindings(ids: ["00000000-0000-0000-0000-000000000000"],'
        " status: ARCHIVED) { id } }",
        "access-analyzer:UpdateFindings",
        "analyzer/gateway",
    ),
    (
        'query { generatedPolicy(jobId: "00000000-0000-0000-0000-000000000000")'
        " { generatedPolicies } }",
        "access-analyzer:GetGeneratedPolicy",
        "*",
    ),
    (
        'mutation { startPolicyGeneration(principalArn: "arn:aws:iam::111122223333:user/x",'
        ' startTime: "2026-01-01T00:00:00Z") }',
        "access-analyzer:StartPolicyGeneration",
        "*",
    ),
    (
        'query { serviceLastAccessedDetails(jobId: "00000000-0000-0000-0000-000000000000")'
        " { jobStatus } }",
        "iam:GetServiceLastAccessedDetails",
        "*",
    ),
]


async def test_analysis_fields_need_awss_actions(
    local_api: Api, local_root: str, account: Account
) -> None:
    token = await make_user(local_api, local_root, "curious")

    for query, action, resource in ANALYSIS_FIELDS:
        denied = await local_api(query, token=token)
        assert denied.error_codes() == ["AccessDenied"], query
        assert f"perform: {action} on resource: " in denied.only_error()["message"]
        assert (
            denied.only_error()["message"]
            .split(" on resource: ")[1]
            .split(" ")[0]
            .endswith(resource)
        )

    own = f"arn:aws:iam::{account.id}:user/curious"
    report = await local_api(
        "mutation($a: String!) { generateServiceLastAccessedDetails(arn: $a) }",
        {"a": own},
        token=token,
    )
    assert (
        "iam:GenerateServiceLastAccessedDetails on resource: " + own
        in (report.only_error()["message"])
    )


async def test_findings_and_last_accessed_answer_in_awss_shape(
    local_api: Api, local_root: str, account: Account
) -> None:
    await make_user(local_api, local_root, "jorge")

    found = await local_api(
        '{ findings(filter: {findingType: ["ConsoleUserWithoutMfa"]}) { nodes { findingType'
        " resource resourceType resourceOwnerAccount status findingDetails } } }",
        token=local_root,
    )
    job = await local_api(
        "mutation($a: String!) { generateServiceLastAccessedDetails(arn: $a) }",
        {"a": f"arn:aws:iam::{account.id}:user/jorge"},
        token=local_root,
    )
    assert job.data is not None
    report = await local_api(
        "query($j: String!) { serviceLastAccessedDetails(jobId: $j) { jobStatus jobType"
        " servicesLastAccessed { serviceNamespace } neverUsedServices } }",
        {"j": job.data["generateServiceLastAccessedDetails"]},
        token=local_root,
    )

    assert found.data == {
        "findings": {
            "nodes": [
                {
                    "findingType": "ConsoleUserWithoutMfa",
                    "resource": f"arn:aws:iam::{account.id}:user/jorge",
                    "resourceType": "AWS::IAM::User",
                    "resourceOwnerAccount": account.id,
                    "status": "ACTIVE",
                    "findingDetails": [],
                }
            ]
        }
    }
    assert report.data == {
        "serviceLastAccessedDetails": {
            "jobStatus": "COMPLETED",
            "jobType": "SERVICE_LEVEL",
            "servicesLastAccessed": [],
            "neverUsedServices": [],
        }
    }


def readme_blocks() -> list[str]:
    """The GraphQL examples of the README's "Keeping least privilege" section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Keeping least privilege\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)


async def test_the_readmes_least_privilege_examples_are_valid_and_run(
    local_api: Api, local_root: str, account: Account
) -> None:
    blocks = readme_blocks()
    assert len(blocks) == 6
    schema = build_schema()
    for block in blocks:
        operations = re.split(r"\n(?=mutation|query)", block.strip())
        for operation in operations:
            assert validate(schema._schema, parse(operation)) == [], operation
    await make_user(local_api, local_root, "jorge")
    runnable = [blocks[0], blocks[4], blocks[5]]  # generate report, validate, simulate
    for block in runnable:
        text = block.replace("123456789012", account.id)
        result = await local_api(text.split("\nquery", 1)[0], token=local_root)
        assert result.errors == [], (block, result.errors)
    validated = await local_api(blocks[4], token=local_root)
    assert validated.data is not None
    assert [f["issueCode"] for f in validated.data["validatePolicy"]] == [
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ]


async def test_large_documents_are_parsed_off_the_event_loop(
    local_api: Api, local_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from gateway.services import policy_validation, simulation

    threads: dict[str, int] = {}

    def spied(name: str, work: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            threads[name] = threading.get_ident()
            return work(*args, **kwargs)

        return run

    for module, name in [
        (simulation, "simulate_custom_policy"),
        (simulation, "context_keys_for_custom_policy"),
        (policy_validation, "validate_policy"),
    ]:
        monkeypatch.setattr(module, name, spied(name, getattr(module, name)))
    statements = [
        {"Sid": f"S{n}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/{n}/*"}
        for n in range(400)
    ]
    large = document(*statements)
    assert len(large) > 16_384
    simulated = await local_api(
        "query($p: [String!]!) { simulateCustomPolicy(policyInputList: $p,"
        ' actionNames: ["s3:GetObject"], resourceArns: ["' + BUCKET + '/7/x"]) { effect } }',
        {"p": [large]},
        token=local_root,
    )
    keys = await local_api(
        "query($p: [String!]!) { contextKeysForCustomPolicy(policyInputList: $p) }",
        {"p": [large]},
        token=local_root,
    )
    validated = await local_api(VALIDATE, {"d": large, "t": "IDENTITY_POLICY"}, token=local_root)
    assert simulated.data == {"simulateCustomPolicy": [{"effect": "ALLOW"}]}, simulated.errors
    assert keys.errors == []
    assert validated.errors == []
    assert set(threads) == {
        "simulate_custom_policy",
        "context_keys_for_custom_policy",
        "validate_policy",
    }
    assert threading.get_ident() not in threads.values()
