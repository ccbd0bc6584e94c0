"""The action table (gateway/aws/operations.py) against the schema and AWS's model, and the
shipped models against botocore's (gateway/aws/model.py, scripts/aws_models.py)."""

from __future__ import annotations

import botocore.session
import pytest

from gateway.aws.documents import ActionDefinitionError, prepare
from gateway.aws.endpoint import prepared_actions
from gateway.aws.model import SERVICES, service_model
from gateway.aws.operations import ACTIONS, Action
from gateway.graphql.schema import build_schema
from scripts.aws_models import DATA, shipped_model

SCHEMA = build_schema()


def test_every_action_is_a_valid_graphql_operation_using_only_awss_parameters() -> None:
    prepared = prepared_actions(SCHEMA)

    assert len(prepared) == len(ACTIONS) == 90
    create_user = prepared[("iam", "CreateUser")]
    assert create_user.document.required == {"UserName"}
    assert set(create_user.document.variables) == {
        "UserName",
        "Path",
        "Tags",
        "PermissionsBoundary",
    }
    assert prepared[("sts", "AssumeRole")].unsupported >= {"ExternalId", "Tags"}
    assert prepared[("iam", "ListAccessKeys")].sliced
    assert not prepared[("iam", "ListUsers")].sliced


@pytest.mark.parametrize("service", SERVICES)
def test_the_shipped_models_are_botocores_cut_to_the_served_actions(service: str) -> None:
    assert (DATA / f"{service}.json").read_text() == shipped_model(service), (
        "run .venv/bin/python scripts/aws_models.py"
    )
    full = botocore.session.get_session().get_service_data(service)
    model = service_model(service)
    assert model.namespace == full["metadata"]["xmlNamespace"]
    assert model.errors["NoSuchEntity" if service == "iam" else "PackedPolicyTooLarge"][0] in (
        400,
        404,
    )


def test_every_iam_and_sts_operation_the_graphql_api_has_is_served() -> None:
    served = {(a.service, a.name) for a in ACTIONS}
    expected = {
        ("sts", "GetCallerIdentity"),
        ("sts", "GetSessionToken"),
        ("sts", "AssumeRole"),
        ("iam", "CreateUser"),
        ("iam", "SimulatePrincipalPolicy"),
        ("iam", "GetAccountAuthorizationDetails"),
        ("iam", "CreateVirtualMFADevice"),
        ("iam", "UpdateAccountPasswordPolicy"),
        ("iam", "ListEntitiesForPolicy"),
        ("iam", "PutRolePermissionsBoundary"),
    }
    assert expected <= served


@pytest.mark.parametrize(
    ("name", "selection", "problem"),
    [
        (
            "CreateUser",
            "User: createUser(input: {userName: $UserNam}) { arn }",
            "parameters AWS does not have",
        ),
        ("CreateUser", "User: createUser(input: {userName: $UserName}) { nme }", "Cannot query"),
        (
            "CreatePolicy",
            'Policy: createPolicy(input: {policyName: $PolicyName, policyDocument: "{}"}) { arn }',
            "ignores required",
        ),
        ("CreateUser", "User: createUser(input: {userName: $Path}) { arn }", "ignores required"),
    ],
)
def test_a_broken_entry_fails_when_the_table_is_prepared(
    name: str, selection: str, problem: str
) -> None:
    broken = Action("iam", name, "mutation", selection)

    with pytest.raises(ActionDefinitionError, match=problem):
        prepare(broken, SCHEMA._schema, service_model("iam"))
