"""Building and parsing ARNs: the one place in the gateway that knows their shape.

(Except the policy engine, `gateway.policy`, which imports nothing from the rest of the
project and spells the account-root ARN, `arn:aws:iam::ACCOUNT:root`, itself.)

An ARN is `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. IAM resources have no region and
carry their path between the resource type and the name::

    arn:aws:iam::123456789012:user/division/engineering/alice
    arn:aws:iam::123456789012:root
    arn:aws:iam::aws:policy/IAMReadOnlyAccess
    arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-42

Paths are `/` or `/segment/.../` (leading and trailing slash). The builders trust their
arguments to be valid names and paths (the services validate input before building ARNs) but
check the path shape, since a wrong path silently yields an ARN nobody can match.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTITION = "aws"
AWS_ACCOUNT = "aws"
"""The account field of AWS-managed policy ARNs."""


@dataclass(frozen=True, slots=True)
class Arn:
    """The five fields of a parsed ARN; `str(arn)` gives the ARN back."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


@dataclass(frozen=True, slots=True)
class IamResource:
    """An IAM resource split into its type, path and name (`user`, `/ops/`, `alice`)."""

    resource_type: str
    path: str
    name: str


def parse_arn(arn: str) -> Arn:
    """Split `arn` into its fields; raises `ValueError` when it is not a well-formed ARN.

    The resource may itself contain `:` and `/`; partition, service and resource must not be
    empty (region and account may be, as in `arn:aws:s3:::bucket`).
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(
            f"{arn!r} is not an ARN: expected arn:partition:service:region:account:resource"
        )
    _, partition, service, region, account, resource = parts
    if not partition or not service or not resource:
        raise ValueError(
            f"{arn!r} is not an ARN: partition, service and resource must not be empty"
        )
    return Arn(partition, service, region, account, resource)


def parse_iam_resource(resource: str) -> IamResource:
    """Split an IAM resource such as `user/ops/alice` into type, path (`/ops/`) and name.

    Resources without a path (`root`) get path `/` and an empty name. Raises `ValueError` for
    an empty name after a slash (`user/ops/`).
    """
    resource_type, slash, rest = resource.partition("/")
    if not slash:
        return IamResource(resource_type, "/", "")
    head, _, name = rest.rpartition("/")
    if not name:
        raise ValueError(f"{resource!r} has no name after its path")
    return IamResource(resource_type, f"/{head}/" if head else "/", name)


def check_path(path: str) -> str:
    """Return `path` if it is `/` or starts and ends with `/`; else raise `ValueError`."""
    if not path.startswith("/") or not path.endswith("/"):
        raise ValueError(f"path {path!r} must begin and end with a slash")
    return path


def iam_arn(account: str, resource_type: str, path: str, name: str) -> str:
    """`arn:aws:iam::ACCOUNT:TYPE/PATH/NAME` for any pathed IAM resource type."""
    return f"arn:{PARTITION}:iam::{account}:{resource_type}{check_path(path)}{name}"


def typed_iam_arn(account: str, resource_type: str, path: str, name: str) -> str:
    """The IAM ARN a request names as typed, even with a path the services will refuse (for
    authorizing such a request before it fails, never to store)."""
    return f"arn:{PARTITION}:iam::{account}:{resource_type}{path}{name}"


def iam_arn_template(resource_type: str, path_field: str, name_field: str) -> str:
    """An IAM ARN template with `{account}`, `{PATH_FIELD}` and `{NAME_FIELD}` placeholders
    (`arn:aws:iam::{account}:user{path}{userName}`), for `gateway.graphql.authorize`."""
    return typed_iam_arn("{account}", resource_type, f"{{{path_field}}}", f"{{{name_field}}}")


def user_arn(account: str, path: str, name: str) -> str:
    """ARN of an IAM user: `arn:aws:iam::ACCOUNT:user/PATH/NAME`."""
    return iam_arn(account, "user", path, name)


def group_arn(account: str, path: str, name: str) -> str:
    """ARN of a group: `arn:aws:iam::ACCOUNT:group/PATH/NAME`."""
    return iam_arn(account, "group", path, name)


def role_arn(account: str, path: str, name: str) -> str:
    """ARN of a role: `arn:aws:iam::ACCOUNT:role/PATH/NAME`."""
    return iam_arn(account, "role", path, name)


def policy_arn(account: str, path: str, name: str) -> str:
    """ARN of a customer-managed policy: `arn:aws:iam::ACCOUNT:policy/PATH/NAME`."""
    return iam_arn(account, "policy", path, name)


def aws_managed_policy_arn(name: str, path: str = "/") -> str:
    """ARN of a built-in AWS-managed policy: `arn:aws:iam::aws:policy/NAME`."""
    return iam_arn(AWS_ACCOUNT, "policy", path, name)


def mfa_arn(account: str, path: str, name: str) -> str:
    """ARN of a virtual MFA device: `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`."""
    return iam_arn(account, "mfa", path, name)


def u2f_arn(account: str, user_name: str | None, name: str, key_id: str) -> str:
    """ARN (serial number) of a FIDO security key, as AWS names them:
    `arn:aws:iam::ACCOUNT:u2f/user/USER/NAME-KEYID` for an IAM user's (the user's name, without
    its path), `arn:aws:iam::ACCOUNT:u2f/root/NAME-KEYID` for the root user's."""
    owner = f"user/{user_name}" if user_name is not None else "root"
    return f"arn:{PARTITION}:iam::{account}:u2f/{owner}/{name}-{key_id}"


def root_arn(account: str) -> str:
    """ARN of an account's root user: `arn:aws:iam::ACCOUNT:root`."""
    return f"arn:{PARTITION}:iam::{account}:root"


def assumed_role_arn(account: str, role_name: str, session_name: str) -> str:
    """ARN of a role session: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.

    As in AWS, the role's path is not part of it.
    """
    return f"arn:{PARTITION}:sts::{account}:assumed-role/{role_name}/{session_name}"


ANALYZER_NAME = "gateway"
"""The name of each account's one IAM Access Analyzer analyzer (the gateway runs one)."""


def analyzer_arn(account: str) -> str:
    """ARN of the account's analyzer: `arn:aws:access-analyzer::ACCOUNT:analyzer/gateway` (the
    gateway has no regions, so the region field is empty)."""
    return f"arn:{PARTITION}:access-analyzer::{account}:analyzer/{ANALYZER_NAME}"


def iam_resource_type(arn: str) -> str | None:
    """The IAM resource type an ARN names (`user`, `group`, `role`, `policy`, `root`, …), or
    None when it is not an IAM ARN at all."""
    try:
        parsed = parse_arn(arn)
        if parsed.service != "iam":
            return None
        return parse_iam_resource(parsed.resource).resource_type
    except ValueError:
        return None
