"""The AWS-managed policies that ship with the gateway.

`gateway/data/aws_managed_policies.json` holds AdministratorAccess, IAMFullAccess,
IAMReadOnlyAccess, IAMUserChangePassword and ReadOnlyAccess (abridged; the file says how),
with AWS's descriptions and documents. They live under `arn:aws:iam::aws:policy/NAME` with no
account, so every account sees them, may attach them, and none may change them (see
`gateway.services.policies`).

`builtin_policies()` reads and validates the file once per process. `ensure_builtin_policies()`
writes them to the database (one default version, `v1`), and updates them when the file
changed; running it again changes nothing. Bootstrap and migrate call it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from tortoise.transactions import in_transaction

from gateway import arns
from gateway.ids import POLICY_PREFIX, new_unique_id
from gateway.models import ManagedPolicy, PolicyVersion
from gateway.policy import parse_policy

DATA_FILE = "aws_managed_policies.json"


@dataclass(frozen=True, slots=True)
class BuiltinPolicy:
    """One AWS-managed policy as the data file describes it; `document` is JSON text."""

    name: str
    path: str
    description: str
    document: str

    @property
    def arn(self) -> str:
        """`arn:aws:iam::aws:policy/NAME`."""
        return arns.aws_managed_policy_arn(self.name, self.path)


@cache
def builtin_policies() -> tuple[BuiltinPolicy, ...]:
    """The shipped AWS-managed policies, read and validated once."""
    text = resources.files("gateway.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    policies = []
    for entry in json.loads(text)["policies"]:
        document = json.dumps(entry["document"], indent=4)
        parse_policy(document, "identity", name=entry["name"])  # a broken file fails loudly
        policies.append(BuiltinPolicy(entry["name"], entry["path"], entry["description"], document))
    return tuple(policies)


async def ensure_builtin_policies() -> list[ManagedPolicy]:
    """Insert or update the AWS-managed policies; idempotent. Returns them, in file order."""
    stored: list[ManagedPolicy] = []
    async with in_transaction() as connection:
        for builtin in builtin_policies():
            policy = await ManagedPolicy.filter(arn=builtin.arn).using_db(connection).first()
            if policy is None:
                policy = await ManagedPolicy.create(
                    id=new_unique_id(POLICY_PREFIX),
                    account_id=None,
                    name=builtin.name,
                    name_lower=builtin.name.lower(),
                    path=builtin.path,
                    arn=builtin.arn,
                    description=builtin.description,
                    default_version_id="v1",
                    next_version_number=2,
                    using_db=connection,
                )
                await PolicyVersion.create(
                    policy_id=policy.id,
                    version_id="v1",
                    document=builtin.document,
                    is_default=True,
                    using_db=connection,
                )
            else:
                if policy.description != builtin.description:
                    policy.description = builtin.description
                    await policy.save(
                        update_fields=["description", "updated_at"], using_db=connection
                    )
                version = (
                    await PolicyVersion.filter(policy_id=policy.id, is_default=True)
                    .using_db(connection)
                    .first()
                )
                if version is None:
                    await PolicyVersion.create(
                        policy_id=policy.id,
                        version_id=policy.default_version_id,
                        document=builtin.document,
                        is_default=True,
                        using_db=connection,
                    )
                elif version.document != builtin.document:
                    version.document = builtin.document
                    await version.save(update_fields=["document"], using_db=connection)
            stored.append(policy)
    return stored
