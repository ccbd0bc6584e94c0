"""The tools people already manage IAM with, against a real gateway: boto3 and the AWS CLI
(v1, from PyPI) through the coffee-shop and role-switching stories, over `/aws/` and SigV4.

One server for the module (started with the production default: no GatewayKey header); the
bulk runs through boto3, a handful of steps through the CLI (each call starts a Python).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tortoise.context import TortoiseContext

from gateway.db import migrate, tortoise_config
from gateway.services.accounts import bootstrap_account
from tests.databases import BACKEND, PG_SERVER, create_pg_database, drop_pg_database
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.servers import serve
from tests.signing import Key, Signer

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


@dataclass
class Gateway:
    """The module's gateway: its URL, account and an administrator's access key."""

    url: str
    account: str
    admin: Key

    @property
    def endpoint(self) -> str:
        return f"{self.url}/aws/"

    def client(self, service: str, key: Key) -> Any:
        """A boto3 client of `service` signing with `key`, pointed at the gateway."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key.access_key_id,
            aws_secret_access_key=key.secret_access_key,
            aws_session_token=key.session_token,
            config=NO_RETRIES,
        )


async def _bootstrap(database_url: str) -> str:
    await migrate(database_url)
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        account, _ = await bootstrap_account(email=ROOT_EMAIL, password=ROOT_PASSWORD)
        return account.id


def _graphql(client: httpx.Client, query: str, token: str, **variables: Any) -> Any:
    body = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert not body.get("errors"), body
    return body["data"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with an account whose root made `owner-admin` (AdministratorAccess) and its
    access key, over GraphQL, the way the README's first steps do."""
    pg_name = None
    if BACKEND == "sqlite":
        database_url = f"sqlite://{tmp_path_factory.mktemp('aws-clients') / 'gateway.db'}"
    else:
        pg_name = asyncio.run(create_pg_database("gateway_test_aws"))
        database_url = f"{PG_SERVER}/{pg_name}"
    try:
        account = asyncio.run(_bootstrap(database_url))
        with (
            serve("gateway.app:create_app", database_url, {"GATEWAY_KEY_HEADER": "false"}) as url,
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            token = http.post(
                "/graphql",
                json={
                    "query": "mutation($e: String!, $p: String!) {"
                    " signInRoot(email: $e, password: $p) { token } }",
                    "variables": {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
                },
            ).json()["data"]["signInRoot"]["token"]
            _graphql(
                http,
                'mutation($p: String!) { createUser(input: {userName: "owner-admin"}) { arn }'
                ' attachUserPolicy(userName: "owner-admin", policyArn: $p) { userName } }',
                token,
                p=ADMIN,
            )
            key = _graphql(
                http,
                'mutation { createAccessKey(userName: "owner-admin") {'
                " accessKeyId secretAccessKey } }",
                token,
            )["createAccessKey"]
            yield Gateway(url, account, Key(key["accessKeyId"], key["secretAccessKey"]))
    finally:
        if pg_name is not None:
            asyncio.run(drop_pg_database(pg_name))


def error_code(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int, str]:
    """The ClientError a boto3 call raises: AWS code, HTTP status, message."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


RECEIPTS = {
    "Sid": "ListReceipts",
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET",
}


def test_the_coffee_shop_story_with_boto3(gateway: Gateway) -> None:
    iam = gateway.client("iam", gateway.admin)
    account = gateway.account

    iam.create_group(GroupName="Cashiers")
    policy = iam.create_policy(PolicyName="CashierReceipts", PolicyDocument=document(RECEIPTS))[
        "Policy"
    ]
    user = iam.create_user(UserName="jorge", Tags=[{"Key": "shift", "Value": "morning"}])["User"]
    iam.create_login_profile(UserName="jorge", Password="Flat-White-99")
    iam.add_user_to_group(GroupName="Cashiers", UserName="jorge")
    iam.attach_group_policy(GroupName="Cashiers", PolicyArn=policy["Arn"])

    assert policy["Arn"] == f"arn:aws:iam::{account}:policy/CashierReceipts"
    assert policy["DefaultVersionId"] == "v1"
    assert user["Arn"] == f"arn:aws:iam::{account}:user/jorge"
    assert user["UserId"].startswith("AIDA")
    group = iam.get_group(GroupName="Cashiers")
    assert [u["UserName"] for u in group["Users"]] == ["jorge"]
    assert group["Group"]["GroupId"].startswith("AGPA")
    assert iam.list_attached_group_policies(GroupName="Cashiers")["AttachedPolicies"] == [
        {"PolicyName": "CashierReceipts", "PolicyArn": policy["Arn"]}
    ]
    assert iam.list_user_tags(UserName="jorge")["Tags"] == [{"Key": "shift", "Value": "morning"}]
    assert iam.get_login_profile(UserName="jorge")["LoginProfile"]["UserName"] == "jorge"
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(document(RECEIPTS))
    entities = iam.list_entities_for_policy(PolicyArn=policy["Arn"])
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["Cashiers"]

    decisions = iam.simulate_principal_policy(
        PolicySourceArn=user["Arn"],
        ActionNames=["s3:ListBucket", "iam:CreateUser"],
        ResourceArns=["arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET"],
    )["EvaluationResults"]
    assert [(d["EvalActionName"], d["EvalDecision"]) for d in decisions] == [
        ("s3:ListBucket", "allowed"),
        ("iam:CreateUser", "implicitDeny"),
    ]

    # A new version with the CLI's habits: a JSON document, made default, then rolled back.
    wider = document(RECEIPTS, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=wider, SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v2", True),
        ("v1", False),
    ]
    iam.set_default_policy_version(PolicyArn=policy["Arn"], VersionId="v1")
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["DefaultVersionId"] == "v1"


def test_lists_page_with_botocores_paginators(gateway: Gateway) -> None:
    iam = gateway.client("iam", gateway.admin)
    for n in range(7):
        iam.create_user(UserName=f"barista-{n}", Path="/baristas/")

    pages = list(
        iam.get_paginator("list_users").paginate(
            PathPrefix="/baristas/", PaginationConfig={"PageSize": 3}
        )
    )
    keys = list(
        iam.get_paginator("list_access_keys").paginate(
            UserName="owner-admin", PaginationConfig={"PageSize": 1}
        )
    )

    assert [len(page["Users"]) for page in pages] == [3, 3, 1]
    assert [u["UserName"] for page in pages for u in page["Users"]] == [
        f"barista-{n}" for n in range(7)
    ]
    assert [page["IsTruncated"] for page in pages] == [True, True, False]
    assert "Marker" not in pages[-1]
    assert [len(page["AccessKeyMetadata"]) for page in keys] == [1]


def test_the_usual_mistakes_get_awss_error_codes(gateway: Gateway) -> None:
    iam = gateway.client("iam", gateway.admin)
    iam.create_user(UserName="mistakes")
    iam.create_group(GroupName="Closers")
    iam.add_user_to_group(GroupName="Closers", UserName="mistakes")
    clerk = gateway.client("iam", Key(**_new_key(iam, "clerk")))

    assert error_code(iam.create_user, UserName="MISTAKES")[:2] == ("EntityAlreadyExists", 409)
    assert error_code(iam.get_user, UserName="nobody") == (
        "NoSuchEntity",
        404,
        "The user with name nobody cannot be found.",
    )
    assert error_code(
        iam.create_policy, PolicyName="Broken", PolicyDocument='{"Version": "2012-10-17"}'
    )[:2] == ("MalformedPolicyDocument", 400)
    assert error_code(iam.delete_group, GroupName="Closers")[:2] == ("DeleteConflict", 409)
    assert error_code(iam.create_user, UserName="bad name!")[:2] == ("ValidationError", 400)
    code, status, message = error_code(clerk.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{gateway.account}:user/clerk is not authorized to perform: "
        "iam:ListUsers on resource: * because no identity-based policy allows the iam:ListUsers "
        "action"
    )
    wrong_secret = gateway.client("iam", Key(gateway.admin.access_key_id, "x" * 40))
    unknown_key = gateway.client("iam", Key("AKIA" + "Q" * 16, "x" * 40))
    assert error_code(wrong_secret.list_users)[:2] == ("SignatureDoesNotMatch", 403)
    assert error_code(unknown_key.list_users) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )


def _new_key(iam: Any, user_name: str) -> dict[str, str]:
    iam.create_user(UserName=user_name)
    created = iam.create_access_key(UserName=user_name)["AccessKey"]
    assert created["Status"] == "Active"
    return {
        "access_key_id": created["AccessKeyId"],
        "secret_access_key": created["SecretAccessKey"],
    }


def test_the_role_switching_story_assumed_credentials_sign_sts_iam_and_graphql(
    gateway: Gateway,
) -> None:
    iam = gateway.client("iam", gateway.admin)
    account = gateway.account
    alice = Key(**_new_key(iam, "alice"))
    iam.put_user_policy(
        UserName="alice",
        PolicyName="MayBeShiftLead",
        PolicyDocument=document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    trust = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    role = iam.create_role(
        RoleName="ShiftLead", Path="/shop/", AssumeRolePolicyDocument=trust, MaxSessionDuration=7200
    )["Role"]
    iam.attach_role_policy(RoleName="ShiftLead", PolicyArn=READ_ONLY)
    assert role["RoleId"].startswith("AROA")
    assert iam.get_role(RoleName="ShiftLead")["Role"]["AssumeRolePolicyDocument"] == json.loads(
        trust
    )

    sts = gateway.client("sts", alice)
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="till-1", DurationSeconds=900)
    credentials = assumed["Credentials"]
    session = Key(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    session_arn = f"arn:aws:sts::{account}:assumed-role/ShiftLead/till-1"

    assert credentials["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"] == {
        "Arn": session_arn,
        "AssumedRoleId": f"{role['RoleId']}:till-1",
    }
    assert gateway.client("sts", session).get_caller_identity()["Arn"] == session_arn
    as_role = gateway.client("iam", session)
    assert "ShiftLead" in [r["RoleName"] for r in as_role.list_roles()["Roles"]]
    assert error_code(as_role.create_user, UserName="sneaky")[:2] == ("AccessDenied", 403)
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        who = http.post(
            "/graphql",
            json={"query": "{ whoAmI { arn principalType } }"},
            auth=Signer(session),
        ).json()
    assert who == {"data": {"whoAmI": {"arn": session_arn, "principalType": "AssumedRole"}}}

    refused = error_code(
        sts.assume_role, RoleArn=f"arn:aws:iam::{account}:role/Nope", RoleSessionName="xy"
    )
    assert refused[:2] == ("AccessDenied", 403)
    temporary = gateway.client("sts", gateway.admin).get_session_token(DurationSeconds=900)
    no_mfa = Key(
        temporary["Credentials"]["AccessKeyId"],
        temporary["Credentials"]["SecretAccessKey"],
        temporary["Credentials"]["SessionToken"],
    )
    assert error_code(gateway.client("iam", no_mfa).list_users)[:2] == ("AccessDenied", 403)


def aws_cli(gateway: Gateway, home: Path, *args: str, key: Key | None = None) -> Any:
    """Run `aws ARGS --output json` with the profile of the README; its JSON answer, or the
    CompletedProcess when it failed."""
    signing = key or gateway.admin
    (home / "config").write_text(
        f"[profile gateway]\nregion = us-east-1\nendpoint_url = {gateway.endpoint}\noutput = json\n"
    )
    (home / "credentials").write_text(
        "[gateway]\n"
        f"aws_access_key_id = {signing.access_key_id}\n"
        f"aws_secret_access_key = {signing.secret_access_key}\n"
        + (f"aws_session_token = {signing.session_token}\n" if signing.session_token else "")
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PROFILE": "gateway",
        "AWS_MAX_ATTEMPTS": "1",
    }
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"
    done = subprocess.run(
        [aws, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        return done
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_the_aws_cli_manages_users_and_policies_and_assumes_a_role(
    gateway: Gateway, tmp_path: Path
) -> None:
    iam = gateway.client("iam", gateway.admin)
    made = aws_cli(gateway, tmp_path, "iam", "create-user", "--user-name", "cli-user")
    policy = aws_cli(
        gateway,
        tmp_path,
        "iam",
        "create-policy",
        "--policy-name",
        "CliReceipts",
        "--policy-document",
        document(RECEIPTS),
    )
    listed = aws_cli(
        gateway, tmp_path, "iam", "list-users", "--path-prefix", "/", "--page-size", "2"
    )
    missing = aws_cli(gateway, tmp_path, "iam", "get-user", "--user-name", "nobody")

    assert made["User"]["Arn"] == f"arn:aws:iam::{gateway.account}:user/cli-user"
    assert policy["Policy"]["PolicyName"] == "CliReceipts"
    stored = iam.get_policy_version(PolicyArn=policy["Policy"]["Arn"], VersionId="v1")
    assert stored["PolicyVersion"]["Document"] == json.loads(document(RECEIPTS))
    assert "cli-user" in [u["UserName"] for u in listed["Users"]]  # the CLI followed the pages
    assert missing.returncode != 0
    assert "An error occurred (NoSuchEntity) when calling the GetUser operation" in missing.stderr

    trust = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{gateway.account}:user/owner-admin"},
            "Action": "sts:AssumeRole",
        }
    )
    iam.create_role(RoleName="CliRole", AssumeRolePolicyDocument=trust)
    assumed = aws_cli(
        gateway,
        tmp_path,
        "sts",
        "assume-role",
        "--role-arn",
        f"arn:aws:iam::{gateway.account}:role/CliRole",
        "--role-session-name",
        "cli",
    )
    credentials = assumed["Credentials"]
    who = aws_cli(
        gateway,
        tmp_path,
        "sts",
        "get-caller-identity",
        key=Key(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
        ),
    )
    assert who["Arn"] == f"arn:aws:sts::{gateway.account}:assumed-role/CliRole/cli"
