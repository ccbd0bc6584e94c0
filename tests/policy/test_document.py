"""gateway.policy.document: the policy grammar, AWS's validation messages, size quotas."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.policy import Policy, PolicySizeError, PolicyValidationError, parse_policy
from gateway.policy.document import (
    KINDS,
    NO_ACTIONS_ERROR,
    NO_RESOURCES_ERROR,
    ONE_COLON_ERROR,
    SID_FORMAT_ERROR,
    SID_UNIQUE_ERROR,
    SYNTAX_ERROR,
    TRUST_ACTION_ERROR,
    VENDOR_ERROR,
    VERSION_ERROR,
    policy_size,
)
from gateway.policy.legacy import LEGACY_ERROR
from gateway.policy.variables import Literal
from tests.policy.strategies import statements as random_statements

CURRENT = "2012-10-17"
LEGACY = "2008-10-17"
USER_ARN = "arn:aws:iam::111122223333:user/alice"

ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
RESOURCE_ALLOW = {
    "Effect": "Allow",
    "Principal": {"AWS": USER_ARN},
    "Action": "s3:*",
    "Resource": "arn:aws:s3:::bucket/*",
}
TRUST_ALLOW = {"Effect": "Allow", "Principal": {"AWS": USER_ARN}, "Action": "sts:AssumeRole"}
BASE: dict[str, dict[str, Any]] = {
    "identity": ALLOW,
    "resource": RESOURCE_ALLOW,
    "trust": TRUST_ALLOW,
}


def doc(*statements: Any, version: Any = CURRENT, **top: Any) -> str:
    """A document with the given statements (`version=None` leaves Version out)."""
    document: dict[str, Any] = {} if version is None else {"Version": version}
    document.update(top)
    document["Statement"] = list(statements)
    return json.dumps(document)


def stmt(kind: str, **changes: Any) -> dict[str, Any]:
    """The kind's valid base statement with elements changed (a value of None removes one)."""
    statement = dict(BASE[kind])
    for element, value in changes.items():
        if value is None:
            statement.pop(element, None)
        else:
            statement[element] = value
    return statement


def message_of(text: str, kind: str) -> str:
    with pytest.raises(PolicyValidationError) as caught:
        parse_policy(text, kind)
    return str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
def test_the_base_documents_used_below_are_valid(kind: str) -> None:
    assert isinstance(parse_policy(doc(BASE[kind]), kind), Policy)


# -- "Syntax errors in policy." -------------------------------------------------------------

SYNTAX_CASES = [
    pytest.param("identity", "{", id="bad-json"),
    pytest.param("identity", "", id="empty-text"),
    pytest.param("identity", "[]", id="top-level-list"),
    pytest.param("identity", '"policy"', id="top-level-string"),
    pytest.param("identity", "null", id="top-level-null"),
    pytest.param("identity", "42", id="top-level-number"),
    pytest.param(
        "identity",
        doc(stmt("identity", Condition={"NumericEquals": {"s3:max-keys": "NAN"}})).replace(
            '"NAN"', "NaN"
        ),
        id="nan-is-not-json",
    ),
    pytest.param("identity", json.dumps({"Version": CURRENT}), id="statement-missing-identity"),
    pytest.param("trust", json.dumps({"Version": CURRENT}), id="statement-missing-trust"),
    pytest.param("identity", doc(), id="statement-empty-list"),
    pytest.param("identity", json.dumps({"Version": CURRENT, "Statement": "x"}), id="stmt-str"),
    pytest.param("identity", doc("not-an-object"), id="statement-entry-not-object"),
    pytest.param("identity", doc(ALLOW, Foo="bar"), id="unknown-top-level-identity"),
    pytest.param("trust", doc(TRUST_ALLOW, Foo="bar"), id="unknown-top-level-trust"),
    pytest.param("identity", doc(stmt("identity", Foo="bar")), id="unknown-element-identity"),
    pytest.param("trust", doc(stmt("trust", Foo="bar")), id="unknown-element-trust"),
    pytest.param("identity", doc(stmt("identity", NotAction="s3:*")), id="action-and-notaction"),
    pytest.param("identity", doc(stmt("identity", NotResource="*")), id="resource-and-notresource"),
    pytest.param(
        "resource", doc(stmt("resource", NotPrincipal="*")), id="principal-and-notprincipal"
    ),
    pytest.param("identity", doc(stmt("identity", Sid=1)), id="sid-not-string"),
    pytest.param("identity", doc(stmt("identity", Effect=True)), id="effect-not-string"),
    pytest.param("identity", doc(stmt("identity", Effect=None)), id="effect-missing"),
    pytest.param("identity", doc(stmt("identity", Effect="Maybe")), id="effect-unknown-word"),
    pytest.param("identity", doc(ALLOW, version="2020-01-01"), id="version-unknown"),
    pytest.param("identity", doc(ALLOW, version=20121017), id="version-not-string"),
    pytest.param("identity", doc(ALLOW, Id=7), id="id-not-string"),
    pytest.param("identity", doc(stmt("identity", Action=["s3:GetObject", 1])), id="action-int"),
    pytest.param("identity", doc(stmt("identity", Action={"s3": "Get"})), id="action-object"),
    pytest.param("identity", doc(stmt("identity", Resource=[None])), id="resource-null"),
    pytest.param("identity", doc(stmt("identity", Condition="x")), id="condition-not-object"),
    pytest.param(
        "identity", doc(stmt("identity", Condition={"StringEquals": "x"})), id="block-not-object"
    ),
    pytest.param(
        "identity",
        doc(stmt("identity", Condition={"StringEquals": {"aws:username": {"a": 1}}})),
        id="condition-value-object",
    ),
    pytest.param(
        "identity",
        doc(stmt("identity", Condition={"Null": {"aws:username": [None]}})),
        id="condition-value-null",
    ),
    pytest.param("resource", doc(stmt("resource", Principal="bob")), id="principal-bare-string"),
    pytest.param("resource", doc(stmt("resource", Principal={})), id="principal-empty-object"),
    pytest.param(
        "resource", doc(stmt("resource", Principal={"Person": "bob"})), id="principal-bad-type"
    ),
    pytest.param(
        "trust", doc(stmt("trust", Principal={"AWS": [1]})), id="principal-value-not-string"
    ),
]


@pytest.mark.parametrize(("kind", "text"), SYNTAX_CASES)
def test_malformed_document_is_a_syntax_error(kind: str, text: str) -> None:
    assert message_of(text, kind) == SYNTAX_ERROR


# -- strict JSON: what is stored is what is enforced (issue 9 item 7) -------------------------

_ALLOW_TEXT = '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}'


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Effect": "Allow",'
            ' "Action": "s3:*", "Resource": "*"}]}',
            id="effect-twice",
        ),
        pytest.param(
            '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": ['
            + _ALLOW_TEXT
            + "]}",
            id="top-level-twice-same-value",
        ),
        pytest.param(
            '{"Version": "2012-10-17", "Statement": [' + _ALLOW_TEXT + '], "Statement": []}',
            id="statement-twice",
        ),
        pytest.param(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",'
            ' "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true",'
            ' "aws:MultiFactorAuthPresent": "false"}}}]}',
            id="condition-key-twice",
        ),
        pytest.param(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",'
            ' "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"},'
            ' "Bool": {"aws:SecureTransport": "false"}}}]}',
            id="condition-operator-twice",
        ),
        pytest.param(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*",'
            ' "Principal": {"AWS": "111122223333", "AWS": "*"}}]}',
            id="principal-type-twice",
        ),
    ],
)
def test_a_key_repeated_in_any_object_is_refused(text: str) -> None:
    kind = "trust" if "Principal" in text else "identity"
    assert message_of(text, kind) == SYNTAX_ERROR


@pytest.mark.parametrize("number", ["1e999999", "-1e999999", "1E400"])
def test_a_number_no_float_can_hold_is_refused(number: str) -> None:
    text = doc(stmt("identity", Condition={"NumericLessThan": {"s3:max-keys": 0}})).replace(
        ": 0}", f": {number}}}"
    )
    assert number in text
    assert message_of(text, "identity") == SYNTAX_ERROR


def test_large_but_finite_numbers_are_kept() -> None:
    text = doc(stmt("identity", Condition={"NumericLessThan": {"s3:max-keys": 1e300}}))
    assert parse_policy(text).statements[0].conditions[0].values[0].source == "1e+300"


def test_missing_statement_in_resource_policy_names_the_field() -> None:
    text = json.dumps({"Version": CURRENT})
    assert message_of(text, "resource") == "Missing required field Statement"


def test_unknown_top_level_element_in_resource_policy_is_named() -> None:
    assert message_of(doc(RESOURCE_ALLOW, Foo="bar"), "resource") == "Unknown field Foo"


def test_unknown_statement_element_in_resource_policy_is_named() -> None:
    text = doc(stmt("resource", Foo="bar"))
    assert message_of(text, "resource") == "Unknown field Foo"


# -- Version ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [LEGACY, None], ids=["2008-10-17", "no-version"])
def test_identity_policy_must_be_version_2012_10_17(version: str | None) -> None:
    assert message_of(doc(ALLOW, version=version), "identity") == VERSION_ERROR


@pytest.mark.parametrize("kind", ["resource", "trust"])
@pytest.mark.parametrize("version", [LEGACY, None], ids=["2008-10-17", "no-version"])
def test_resource_and_trust_policies_accept_the_2008_version(
    kind: str, version: str | None
) -> None:
    policy = parse_policy(doc(BASE[kind], version=version), kind)
    assert policy.version == LEGACY
    assert not policy.variables_enabled


def test_current_version_enables_policy_variables() -> None:
    policy = parse_policy(doc(ALLOW))
    assert policy.version == CURRENT
    assert policy.variables_enabled


# -- Effect, Sid ------------------------------------------------------------------------------


@pytest.mark.parametrize("effect", ["allow", "DENY", "aLLow"])
def test_effect_in_wrong_case_fails_legacy_parsing(effect: str) -> None:
    assert message_of(doc(stmt("identity", Effect=effect)), "identity") == LEGACY_ERROR


@pytest.mark.parametrize("kind", KINDS)
def test_statement_ids_must_be_unique(kind: str) -> None:
    text = doc(stmt(kind, Sid="Same"), stmt(kind, Sid="Same"))
    assert message_of(text, kind) == SID_UNIQUE_ERROR


def test_distinct_statement_ids_are_accepted() -> None:
    policy = parse_policy(doc(stmt("identity", Sid="One"), stmt("identity", Sid="Two")))
    assert [s.sid for s in policy.statements] == ["One", "Two"]


@pytest.mark.parametrize("sid", ["with-dash", "with space", "under_score", "dot."])
def test_identity_policy_sid_must_be_alphanumeric(sid: str) -> None:
    assert message_of(doc(stmt("identity", Sid=sid)), "identity") == SID_FORMAT_ERROR


@pytest.mark.parametrize("kind", ["resource", "trust"])
def test_resource_and_trust_policy_sid_may_hold_any_characters(kind: str) -> None:
    policy = parse_policy(doc(stmt(kind, Sid="Allow access-for_bob.1")), kind)
    assert policy.statements[0].sid == "Allow access-for_bob.1"


# -- required and prohibited elements ------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "changes",
    [{"Action": None}, {"Action": []}, {"Action": None, "NotAction": []}],
    ids=["no-action", "empty-action", "empty-notaction"],
)
def test_statement_without_actions_is_rejected(kind: str, changes: dict[str, Any]) -> None:
    assert message_of(doc(stmt(kind, **changes)), kind) == NO_ACTIONS_ERROR


@pytest.mark.parametrize("kind", ["identity", "resource"])
@pytest.mark.parametrize(
    "changes",
    [{"Resource": None}, {"Resource": []}, {"Resource": None, "NotResource": []}],
    ids=["no-resource", "empty-resource", "empty-notresource"],
)
def test_statement_without_resources_is_rejected(kind: str, changes: dict[str, Any]) -> None:
    assert message_of(doc(stmt(kind, **changes)), kind) == NO_RESOURCES_ERROR


def test_trust_policy_needs_no_resource() -> None:
    policy = parse_policy(doc(TRUST_ALLOW), "trust")
    assert policy.statements[0].resources is None


@pytest.mark.parametrize("element", ["Resource", "NotResource"])
def test_trust_policy_with_resource_is_prohibited(element: str) -> None:
    text = doc(stmt("trust", **{element: "*"}))
    assert message_of(text, "trust") == f"Has prohibited field {element}"


@pytest.mark.parametrize("element", ["Principal", "NotPrincipal"])
def test_identity_policy_with_principal_is_prohibited(element: str) -> None:
    # AWS's answer to PutRolePolicy / CreatePolicy with a Principal, as reported in
    # hashicorp/terraform#13449 and hashicorp/terraform-provider-aws#10419.
    text = doc(stmt("identity", **{element: {"AWS": USER_ARN}}))
    assert message_of(text, "identity") == "Policy document should not specify a principal."


@pytest.mark.parametrize("kind", ["resource", "trust"])
def test_resource_and_trust_policies_require_a_principal(kind: str) -> None:
    assert message_of(doc(stmt(kind, Principal=None)), kind) == "Missing required field Principal"


@pytest.mark.parametrize("kind", ["resource", "trust"])
def test_not_principal_satisfies_the_principal_requirement(kind: str) -> None:
    policy = parse_policy(doc(stmt(kind, Principal=None, NotPrincipal={"AWS": USER_ARN})), kind)
    assert policy.statements[0].not_principal


# -- actions and condition keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"Action": "GetObject"}, VENDOR_ERROR, id="action-without-vendor"),
        pytest.param({"NotAction": "GetObject", "Action": None}, VENDOR_ERROR, id="notaction"),
        pytest.param({"Action": ""}, VENDOR_ERROR, id="empty-action"),
        pytest.param({"Action": "s3:Get:Object"}, ONE_COLON_ERROR, id="action-two-colons"),
        pytest.param({"Action": "s 3:GetObject"}, "Vendor s 3 is not valid", id="bad-vendor"),
        pytest.param({"Action": "*:GetObject"}, "Vendor * is not valid", id="wildcard-vendor"),
    ],
)
def test_action_needs_a_valid_vendor(changes: dict[str, Any], message: str) -> None:
    assert message_of(doc(stmt("identity", **changes)), "identity") == message


@pytest.mark.parametrize("action", ["*", "s3:*", "S3:get*", "iam:Get?ser", "ec2-messages:Ack"])
def test_well_formed_actions_are_accepted(action: str) -> None:
    policy = parse_policy(doc(stmt("identity", Action=action)))
    assert policy.statements[0].actions == (action,)


@pytest.mark.parametrize(
    "action", ["sts:AssumeRole", "sts:assumerole", "sts:AssumeRoleWithSAML", "sts:TagSession", "*"]
)
def test_trust_policy_accepts_sts_assume_actions(action: str) -> None:
    assert parse_policy(doc(stmt("trust", Action=action)), "trust").statements[0].actions == (
        action,
    )


@pytest.mark.parametrize("action", ["s3:GetObject", "sts:GetCallerIdentity", "sts:*"])
def test_trust_policy_restricts_actions_to_assume_role(action: str) -> None:
    assert message_of(doc(stmt("trust", Action=action)), "trust") == TRUST_ACTION_ERROR


# -- resources --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ("bucket", 'Resource bucket must be in ARN format or "*".'),
        ("arn", 'Resource arn must be in ARN format or "*".'),
        ("arn:aws:s3", "Resource arn:aws:s3 can not contain region information."),
        ("arn:foo:s3:::b", 'Partition "foo" is not valid for resource "arn:foo:s3:::b".'),
        ("arn:aws:*:::b", "Resource vendor must be fully qualified and cannot contain regexes."),
        ("arn:aws:s3*:::b", "Resource vendor must be fully qualified and cannot contain regexes."),
        (
            "arn:aws:iam:us-east-1:111122223333:user/bob",
            "IAM resource arn:aws:iam:us-east-1:111122223333:user/bob "
            "cannot contain region information.",
        ),
        ("arn:aws::::b", LEGACY_ERROR),
        ("arn:aws", "Resource vendor must be fully qualified and cannot contain regexes."),
    ],
)
def test_malformed_resource_gets_aws_message(resource: str, message: str) -> None:
    assert message_of(doc(stmt("identity", Resource=resource)), "identity") == message


@pytest.mark.parametrize(
    "resource",
    [
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws-cn:s3:::bucket",
        "arn:aws-us-gov:s3:::bucket",
        "arn:*:s3:::bucket",
        "arn:aws:iam::111122223333:user/*",
        "arn:aws:iam:*:111122223333:role/x",
        "arn:aws:logs:us-east-1:111122223333:log-group:app:*",
    ],
)
def test_well_formed_resources_are_accepted(resource: str) -> None:
    policy = parse_policy(doc(stmt("identity", Resource=resource)))
    resources = policy.statements[0].resources
    assert resources is not None
    assert [t.source for t in resources] == [resource]


# -- conditions and principals ----------------------------------------------------------------


@pytest.mark.parametrize("operator", ["StringEqualsX", "NullIfExists", "stringequals", "IfExists"])
def test_unknown_condition_operator_is_a_syntax_error(operator: str) -> None:
    # moto's tests (checked against AWS): {"x": {"a": "1"}} is "Syntax errors in policy."
    text = doc(stmt("identity", Condition={operator: {"aws:username": "bob"}}))
    assert message_of(text, "identity") == SYNTAX_ERROR


@pytest.mark.parametrize("kind", ["resource", "trust"])
@pytest.mark.parametrize(
    ("principal", "bad"),
    [({"AWS": "bob"}, "bob"), ({"AWS": ["111122223333", "user/bob"]}, "user/bob")],
)
def test_aws_principal_must_be_an_arn_or_account(
    kind: str, principal: dict[str, Any], bad: str
) -> None:
    text = doc(stmt(kind, Principal=principal))
    assert message_of(text, kind) == f'Invalid principal in policy: "AWS":"{bad}"'


def test_account_id_principal_is_normalised_to_root_arn() -> None:
    policy = parse_policy(doc(stmt("resource", Principal={"AWS": "444455556666"})), "resource")
    principals = policy.statements[0].principals
    assert principals is not None
    assert principals.values == frozenset({("AWS", "arn:aws:iam::444455556666:root")})


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_star_principal_means_anyone(principal: Any) -> None:
    policy = parse_policy(doc(stmt("resource", Principal=principal)), "resource")
    principals = policy.statements[0].principals
    assert principals is not None
    assert principals.anyone


def test_condition_values_may_be_json_scalars() -> None:
    condition = {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": True}}
    policy = parse_policy(doc(stmt("identity", Condition=condition)))
    assert [
        (c.operator.name, c.key, [v.source for v in c.values])
        for c in policy.statements[0].conditions
    ] == [
        ("NumericLessThan", "s3:max-keys", ["10"]),
        ("Bool", "aws:SecureTransport", ["true"]),
    ]


# -- size quotas ------------------------------------------------------------------------------


def _sized(size: int) -> str:
    """A valid identity document of exactly `size` non-whitespace characters."""
    base = doc(stmt("identity", Sid=""))
    padding = size - policy_size(base)
    assert padding >= 0
    return doc(stmt("identity", Sid="a" * padding))


def test_policy_over_quota_is_refused_with_limit_exceeded() -> None:
    with pytest.raises(PolicySizeError) as caught:
        parse_policy(_sized(6145), max_size=6144)
    error = caught.value
    assert str(error) == "Cannot exceed quota for PolicySize: 6144"
    assert error.code == "LimitExceeded"
    assert (error.size, error.limit) == (6145, 6144)
    assert isinstance(error, PolicyValidationError)


def test_policy_exactly_at_quota_is_accepted() -> None:
    assert isinstance(parse_policy(_sized(6144), max_size=6144), Policy)


def test_whitespace_does_not_count_towards_the_quota() -> None:
    text = json.dumps(json.loads(_sized(2048)), indent=40) + " \n\t" * 5000
    assert len(text) > 10_240
    assert isinstance(parse_policy(text, max_size=2048), Policy)


def test_no_quota_is_applied_unless_asked() -> None:
    assert isinstance(parse_policy(_sized(20_000)), Policy)


def test_validation_error_carries_the_malformed_policy_document_code() -> None:
    with pytest.raises(PolicyValidationError) as caught:
        parse_policy("{")
    assert caught.value.code == "MalformedPolicyDocument"
    assert caught.value.message == SYNTAX_ERROR


def test_unknown_kind_is_a_programming_error_not_a_policy_error() -> None:
    with pytest.raises(ValueError, match="unknown policy kind") as caught:
        parse_policy(doc(ALLOW), "session")
    assert not isinstance(caught.value, PolicyValidationError)


# -- the parsed Policy ------------------------------------------------------------------------


def test_single_statement_object_reads_like_a_one_element_list() -> None:
    as_object = parse_policy(json.dumps({"Version": CURRENT, "Statement": ALLOW}))
    as_list = parse_policy(doc(ALLOW))
    assert as_object.statements == as_list.statements
    assert as_object.statements[0].index == 0


def test_statements_keep_their_document_order_and_index() -> None:
    deny = {"Sid": "Second", "Effect": "Deny", "NotAction": "iam:*", "NotResource": "*"}
    policy = parse_policy(doc(stmt("identity", Sid="First"), deny))
    first, second = policy.statements
    assert (first.index, first.sid, first.is_deny, first.not_action) == (0, "First", False, False)
    assert (second.index, second.sid, second.is_deny) == (1, "Second", True)
    assert second.not_action
    assert second.not_resource


def test_policy_label_is_the_name_when_given() -> None:
    policy = parse_policy(doc(ALLOW, Id="DocId"), name="arn:aws:iam::aws:policy/ReadOnly")
    assert (policy.id, policy.name) == ("DocId", "arn:aws:iam::aws:policy/ReadOnly")
    assert policy.label == "arn:aws:iam::aws:policy/ReadOnly"


def test_policy_label_falls_back_to_the_document_id() -> None:
    policy = parse_policy(doc(ALLOW, Id="DocId"))
    assert (policy.id, policy.name, policy.label) == ("DocId", None, "DocId")


def test_policy_without_name_or_id_has_no_label() -> None:
    assert parse_policy(doc(ALLOW)).label is None


def test_policy_keeps_its_text_and_kind() -> None:
    text = doc(ALLOW)
    policy = parse_policy(text)
    assert (policy.text, policy.kind) == (text, "identity")
    assert policy.document["Statement"][0]["Action"] == "s3:GetObject"


def test_condition_keys_lists_each_key_once_in_document_order() -> None:
    condition = {
        "StringEquals": {"aws:username": "a", "aws:SourceVpc": "v"},
        "StringLike": {"aws:username": "a*"},
    }
    policy = parse_policy(doc(stmt("identity", Condition=condition)))
    assert policy.statements[0].condition_keys == ("aws:username", "aws:SourceVpc")


def test_2008_resource_policy_keeps_variables_as_literal_text() -> None:
    resource = "arn:aws:s3:::bucket/${aws:username}"
    text = doc(stmt("resource", Resource=resource), version=LEGACY)
    resources = parse_policy(text, "resource").statements[0].resources
    assert resources is not None
    (template,) = resources
    assert not template.has_variables
    assert template.parts == (Literal(resource),)


def test_2012_resource_policy_reads_variables() -> None:
    text = doc(stmt("resource", Resource="arn:aws:s3:::bucket/${aws:username}"))
    resources = parse_policy(text, "resource").statements[0].resources
    assert resources is not None
    assert resources[0].variable_keys == ("aws:username",)


# -- fuzz: any input ends in a Policy or a PolicyValidationError ------------------------------

TOP_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
)
WORDS = (
    CURRENT,
    LEGACY,
    "Allow",
    "Deny",
    "allow",
    "s3:*",
    "s3:GetObject",
    "sts:AssumeRole",
    "*",
    "arn:aws:s3:::b",
    "arn:aws:iam::111122223333:user/alice",
    "111122223333",
    "AWS",
    "Service",
    "StringEquals",
    "ForAnyValue:StringLike",
    "NumericLessThanIfExists",
    "Null",
    "aws:username",
    "${aws:username}",
    "${*}",
    "${",
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
keys = st.sampled_from(TOP_KEYS + STATEMENT_KEYS + WORDS) | st.text(max_size=6)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
ACTIONS = ("s3:*", "s3:GetObject", "sts:AssumeRole", "*", "GetObject", "s3:a:b", "S3:get*")
RESOURCES = (
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:iam::111122223333:user/*",
    "bucket",
    "arn:aws:iam:us-east-1:111122223333:user/x",
)
AWS_PRINCIPALS = ("*", "111122223333", "arn:aws:iam::111122223333:user/alice", "bob")


def _one_or_more(values: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(values) | st.lists(st.sampled_from(values), max_size=3)


conditions = st.dictionaries(
    st.sampled_from(("StringEquals", "StringLikeIfExists", "ForAllValues:ArnLike", "Null")),
    st.dictionaries(
        st.sampled_from(("aws:username", "s3:prefix", "nokey", "a:b:c")),
        st.sampled_from(WORDS) | st.lists(st.sampled_from(WORDS) | scalars, max_size=3),
        max_size=2,
    ),
    max_size=2,
)
principals = st.sampled_from(("*",)) | st.dictionaries(
    st.sampled_from(("AWS", "Service", "Federated")),
    _one_or_more(AWS_PRINCIPALS),
    min_size=1,
    max_size=2,
)


def _rarely(draw: st.DrawFn, good: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> Any:
    """Usually a value from `good`, one time in eight from `junk`."""
    return draw(junk) if draw(st.sampled_from(range(8))) == 7 else draw(good)


@st.composite
def statements(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """Mostly well-formed statements of `kind`, so that fuzzing reaches the later checks."""
    shape = _rarely(draw, st.just(kind), st.sampled_from(KINDS))
    statement: dict[str, Any] = {
        "Effect": _rarely(draw, st.sampled_from(("Allow", "Deny")), st.just("allow") | scalars)
    }
    statement[draw(st.sampled_from(("Action", "NotAction")))] = _rarely(
        draw, _one_or_more(ACTIONS), json_values
    )
    if shape != "trust":
        element = draw(st.sampled_from(("Resource", "NotResource")))
        statement[element] = _rarely(draw, _one_or_more(RESOURCES), json_values)
    if shape != "identity":
        element = draw(st.sampled_from(("Principal", "NotPrincipal")))
        statement[element] = _rarely(draw, principals, json_values)
    if draw(st.booleans()):
        statement["Condition"] = _rarely(draw, conditions, json_values)
    if draw(st.booleans()):
        statement["Sid"] = _rarely(draw, st.sampled_from(("", "A", "B", "b-1")), scalars)
    if draw(st.sampled_from(range(8))) == 7:
        statement[draw(keys)] = draw(json_values)
    return statement


@st.composite
def documents(draw: st.DrawFn, kind: str) -> Any:
    """Arbitrary JSON, or (mostly) a near-valid document of `kind`."""
    if draw(st.sampled_from(range(4))) == 3:
        return draw(json_values | st.dictionaries(st.sampled_from(TOP_KEYS) | keys, json_values))
    document: dict[str, Any] = {}
    if draw(st.sampled_from(range(8))) != 7:
        document["Version"] = _rarely(draw, st.sampled_from((CURRENT, LEGACY)), scalars)
    if draw(st.booleans()):
        document["Id"] = _rarely(draw, st.just("Doc"), scalars)
    listed = st.lists(statements(kind), min_size=1, max_size=3)
    document["Statement"] = draw(statements(kind) | listed)
    return document


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parses_or_refuses(text: str, kind: str) -> None:
    try:
        result = parse_policy(text, kind)
    except PolicyValidationError:
        return
    assert isinstance(result, Policy)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(text=st.text())
def test_any_text_parses_or_raises_a_validation_error(kind: str, text: str) -> None:
    _parses_or_refuses(text, kind)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_any_json_parses_or_raises_a_validation_error(kind: str, data: st.DataObject) -> None:
    document = data.draw(documents(kind), label="document")
    _parses_or_refuses(json.dumps(document), kind)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_repeating_any_key_of_a_valid_statement_is_refused(data: st.DataObject) -> None:
    statement = data.draw(random_statements())
    key = data.draw(st.sampled_from(sorted(statement)))
    body = json.dumps(statement)
    repeated = body[:-1] + f", {json.dumps(key)}: {json.dumps(statement[key])}}}"
    text = f'{{"Version": "2012-10-17", "Statement": [{repeated}]}}'
    assert message_of(text, "identity") == SYNTAX_ERROR
