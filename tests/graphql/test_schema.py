"""The schema states every permission it enforces, and schema.graphql is the code's schema."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.types.field import StrawberryField

from gateway.graphql.authorize import AuthorizeDirective
from gateway.graphql.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"

# Fields that read or change nothing of the account's data but the caller's own identity, or
# that compute without reading stored data. Each is documented as such in its description.
UNGUARDED = {
    ("Query", "whoAmI"),
    ("Query", "me"),
    ("Query", "sessions"),  # the caller's own sessions, like whoAmI
    ("Query", "authorize"),
    ("Query", "authorizeAll"),
    ("Mutation", "signIn"),
    ("Mutation", "signInRoot"),
    ("Mutation", "signOut"),
    ("Mutation", "revokeSession"),  # one of the caller's own sessions, like signOut
    ("Mutation", "getSessionToken"),  # AWS: no policy can control authentication operations
    # Who may assume a role is its trust policy's and the caller's policies' decision, made
    # inside the operation by AWS's rule (gateway.services.role_trust), not one permission.
    ("Mutation", "assumeRole"),
    ("Mutation", "switchRole"),
    ("Mutation", "switchBack"),  # returns to the caller's own sign-in
    ("Query", "assumableRoles"),  # evaluates the same rule for the caller, like whoAmI
    ("Mutation", "verifyMfa"),  # the second step of signIn: its caller is not signed in yet
    ("User", "permissionsBoundary"),  # part of GetUser, which the parent field required
    ("Role", "permissionsBoundary"),  # part of GetRole, which the parent field required
}
# Resolver-backed fields that only reshape data their parent already holds.
DERIVED = {"nodes", "json", "userId", "groupId", "roleId", "policyId"}


def _graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def _authorize_directive(field: object) -> AuthorizeDirective | None:
    definition = getattr(field, "extensions", {}).get("strawberry-definition")
    if not isinstance(definition, StrawberryField):
        return None
    for directive in definition.directives:
        if isinstance(directive, AuthorizeDirective):
            return directive
    return None


def _guarded_candidates(schema: GraphQLSchema) -> list[tuple[str, str, object]]:
    """Root fields, and object fields with a resolver of their own (they load data)."""
    found = []
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            is_root = type_name in ("Query", "Mutation")
            has_resolver = isinstance(definition, StrawberryField) and definition.base_resolver
            if (is_root or has_resolver) and field_name not in DERIVED:
                found.append((type_name, field_name, field))
    return found


def test_every_field_that_reads_or_changes_account_data_has_authorize() -> None:
    missing = [
        f"{type_name}.{field_name}"
        for type_name, field_name, field in _guarded_candidates(_graphql_schema())
        if (type_name, field_name) not in UNGUARDED and _authorize_directive(field) is None
    ]
    assert missing == []


def test_guarded_fields_are_nullable_so_a_denial_never_blanks_siblings() -> None:
    from graphql import GraphQLNonNull

    non_null = [
        f"{type_name}.{field_name}"
        for type_name, field_name, field in _guarded_candidates(_graphql_schema())
        if _authorize_directive(field) is not None and isinstance(field.type, GraphQLNonNull)  # type: ignore[attr-defined]
    ]
    assert non_null == []


def test_authorize_directives_name_iam_sts_cloudtrail_or_gateway_actions() -> None:
    for _, _, field in _guarded_candidates(_graphql_schema()):
        directive = _authorize_directive(field)
        if directive is not None:
            service, _, name = directive.action.partition(":")
            # IAM Access Analyzer's and CloudTrail's operations keep their own prefixes, as in AWS.
            assert service in {"iam", "sts", "cloudtrail", "gateway", "access-analyzer"}
            assert name[:1].isupper()


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == str(build_schema()) + "\n", (
        "schema.graphql is stale: run `gateway export-schema --output schema.graphql`"
    )
