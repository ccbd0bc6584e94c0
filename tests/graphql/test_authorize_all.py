"""`authorizeAll` answers up to 100 decisions in order, and recognized `authorize` documents
(`gateway.graphql.recognized`) answer exactly as the general executor does."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.graphql.decisions import MAX_BATCH
from tests.api import Api
from tests.graphql.test_authorization import BUCKET, PASSWORD, create_policy, document, make_user

SELECTION = (
    "{ action resource effect allowed deniedBy statements { policy sid } missingContextKeys }"
)
BATCH = f"query($r: [AuthorizeRequest!]!) {{ authorizeAll(requests: $r) {SELECTION} }}"
ONE = f"query($a: String!, $r: String!) {{ authorize(action: $a, resource: $r) {SELECTION} }}"


@pytest.fixture
async def cashier(api: Api, root_token: str) -> str:
    """A user allowed s3:ListBucket on BUCKET, denied s3:DeleteBucket on anything, and allowed
    s3:GetObject only from 10.0.0.0/8: a session token."""
    arn = await create_policy(
        api,
        root_token,
        "Receipts",
        document(
            {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
            {
                "Sid": "Office",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "tills"}},
            },
        ),
    )
    return await make_user(api, root_token, "cashier", arn)


async def test_authorize_all_answers_each_request_in_order_with_its_reasons(
    api: Api, cashier: str
) -> None:
    requests = [
        {"action": "s3:ListBucket", "resource": BUCKET},
        {"action": "s3:DeleteBucket", "resource": BUCKET},
        {"action": "s3:PutObject", "resource": f"{BUCKET}/x"},
        {"action": "s3:GetObject", "resource": f"{BUCKET}/x"},
        {"action": "s3:ListBucket", "resource": BUCKET},
    ]
    result = await api(BATCH, {"r": requests}, token=cashier)
    assert result.errors == [], result.errors
    assert result.data is not None
    answers = result.data["authorizeAll"]
    assert [(a["action"], a["resource"]) for a in answers] == [
        (r["action"], r["resource"]) for r in requests
    ]
    assert [a["effect"] for a in answers] == [
        "ALLOW",
        "EXPLICIT_DENY",
        "IMPLICIT_DENY",
        "IMPLICIT_DENY",
        "ALLOW",
    ]
    assert [s["sid"] for s in answers[0]["statements"]] == ["List"]
    assert [s["sid"] for s in answers[1]["statements"]] == ["NoDelete"]
    assert answers[1]["deniedBy"] == "identity"
    assert answers[3]["missingContextKeys"] == ["aws:PrincipalTag/team"]


async def test_each_batch_answer_is_the_same_as_authorize_alone(api: Api, cashier: str) -> None:
    requests: list[dict[str, Any]] = [
        {"action": "s3:ListBucket", "resource": BUCKET},
        {"action": "s3:DeleteBucket", "resource": "arn:aws:s3:::other"},
        {
            "action": "s3:GetObject",
            "resource": f"{BUCKET}/y",
            "context": [{"key": "aws:SourceIp", "values": ["10.1.2.3"]}],
        },
    ]
    batch = await api(BATCH, {"r": requests}, token=cashier)
    assert batch.data is not None
    for request, answer in zip(requests, batch.data["authorizeAll"], strict=True):
        if "context" in request:
            continue  # `authorize` takes context as its own argument; covered below
        alone = await api(ONE, {"a": request["action"], "r": request["resource"]}, token=cashier)
        assert alone.data == {"authorize": answer}


async def test_more_than_100_requests_is_a_validation_error_and_100_is_answered(
    api: Api, cashier: str
) -> None:
    one = {"action": "s3:ListBucket", "resource": BUCKET}
    full = await api(BATCH, {"r": [one] * MAX_BATCH}, token=cashier)
    assert full.errors == []
    assert full.data is not None
    assert len(full.data["authorizeAll"]) == MAX_BATCH
    over = await api(BATCH, {"r": [one] * (MAX_BATCH + 1)}, token=cashier)
    assert over.error_codes() == ["ValidationError"]
    assert "less than or equal to 100" in over.errors[0]["message"]
    assert over.data is None


async def test_an_empty_batch_is_an_empty_answer(api: Api, cashier: str) -> None:
    result = await api(BATCH, {"r": []}, token=cashier)
    assert result.errors == []
    assert result.data == {"authorizeAll": []}


async def test_authorize_all_needs_a_caller(api: Api) -> None:
    result = await api(BATCH, {"r": [{"action": "s3:ListBucket", "resource": BUCKET}]})
    assert result.error_codes() == ["Unauthenticated"]


async def test_a_session_that_must_change_its_password_gets_password_change_required(
    api: Api, root_token: str, account: object
) -> None:
    created = await api(
        'mutation($p: String!) { createUser(input: {userName: "newbie"}) { userName }'
        ' createLoginProfile(userName: "newbie", password: $p, passwordResetRequired: true)'
        " { userName } }",
        {"p": PASSWORD},
        token=root_token,
    )
    assert created.errors == [], created.errors
    account_id = getattr(account, "id")  # noqa: B009 - the fixture's Account
    token = await api.sign_in(account_id, "newbie", PASSWORD)
    request = {"action": "s3:ListBucket", "resource": BUCKET}
    assert (await api(BATCH, {"r": [request]}, token=token)).error_codes() == [
        "PasswordChangeRequired"
    ]
    single = await api(ONE, {"a": "s3:ListBucket", "r": BUCKET}, token=token)
    assert single.error_codes() == ["PasswordChangeRequired"]


@pytest.mark.parametrize(
    "query",
    [
        # recognized: one root field, plain selections (aliases and __typename too)
        'query { authorize(action: "s3:ListBucket", resource: "%s") { effect } }',
        'query { d: authorize(action: "s3:ListBucket", resource: "%s") { e: effect __typename '
        "statements { layer policy sid index effect } missingContextKeys reason evalDecision } }",
        # the general path: fragments, directives, two root fields
        'query { authorize(action: "s3:ListBucket", resource: "%s") { ...F } } '
        "fragment F on Decision { effect }",
        'query { authorize(action: "s3:ListBucket", resource: "%s") '
        "{ effect @include(if: true) } }",
        'query { authorize(action: "s3:ListBucket", resource: "%s") { effect } whoAmI { arn } }',
    ],
)
async def test_recognized_and_general_documents_answer_alike(
    api: Api, cashier: str, query: str
) -> None:
    result = await api(query % BUCKET, token=cashier)
    assert result.errors == [], result.errors
    assert result.data is not None
    answer = next(iter(result.data.values()))
    assert answer.get("effect", answer.get("e")) == "ALLOW"
    if "statements" in answer:
        assert answer["__typename"] == "Decision"
        assert answer["statements"][0]["sid"] == "List"
        assert answer["evalDecision"] == "allowed"


@pytest.mark.parametrize(
    ("document_", "variables"),
    [
        (ONE, {"a": 7, "r": BUCKET}),
        (ONE, {"a": "s3:ListBucket"}),
        (BATCH, {"r": [{"action": "s3:ListBucket"}]}),
        (BATCH, {"r": "not a list of requests"}),
    ],
)
async def test_bad_variables_of_a_recognized_document_get_the_general_paths_errors(
    api: Api, cashier: str, document_: str, variables: dict[str, object]
) -> None:
    general = document_.replace(SELECTION, "{ ...F }") + f" fragment F on Decision {SELECTION}"
    fast = await api(document_, variables, token=cashier)
    slow = await api(general, variables, token=cashier)
    assert fast.errors
    assert (fast.status, fast.data, fast.error_codes()) == (
        slow.status,
        slow.data,
        slow.error_codes(),
    )
    assert [e["message"] for e in fast.errors] == [e["message"] for e in slow.errors]


@pytest.mark.parametrize(
    ("variables", "query"),
    [
        ({"a": "s3:ListBucket", "r": "arn:aws:s3:::" + "x" * 2_036}, ONE),
        ({"r": [{"action": "s3:ListBucket", "resource": "x" * 2_049}]}, BATCH),
        ({"r": [{"action": "s3:" + "a" * 126, "resource": BUCKET}]}, BATCH),
    ],
)
async def test_a_recognized_document_holds_its_inputs_to_their_caps(
    api: Api, cashier: str, variables: dict[str, object], query: str
) -> None:
    # The same document within the caps is recognized and answered; over them, refused.
    result = await api(query, variables, token=cashier)
    assert result.error_codes() == ["ValidationError"], result.errors
    assert "less than or equal to" in result.errors[0]["message"]


@pytest.mark.parametrize(
    "key",
    [
        "aws:MultiFactorAuthPresent",
        "AWS:multifactorauthpresent",
        "aws:username",
        "aws:PrincipalArn",
        "aws:PrincipalTag/team",
        "aws:CurrentTime",
    ],
)
@pytest.mark.parametrize("general", [False, True], ids=["recognized", "general"])
async def test_a_question_cannot_state_the_callers_own_session(
    api: Api, cashier: str, key: str, general: bool
) -> None:
    # Claiming MFA, another identity, tags or another time would change the answer about the
    # caller's own decision: refused, on both paths, in both fields.
    context = [{"key": key, "values": ["tills"]}]
    one = "query($a: String!, $r: String!, $c: [ContextEntry!]) { authorize(action: $a, "
    one += f"resource: $r, context: $c) {SELECTION} }}"
    batch = BATCH
    if general:
        one = one.replace(SELECTION, "{ ...F }") + f" fragment F on Decision {SELECTION}"
        batch = batch.replace(SELECTION, "{ ...F }") + f" fragment F on Decision {SELECTION}"
    alone = await api(one, {"a": "s3:GetObject", "r": BUCKET, "c": context}, token=cashier)
    assert alone.error_codes() == ["InvalidInput"], alone.errors
    assert key in alone.errors[0]["message"]
    asked = [{"action": "s3:GetObject", "resource": BUCKET, "context": context}]
    together = await api(batch, {"r": asked}, token=cashier)
    assert together.error_codes() == ["InvalidInput"], together.errors


async def test_request_facts_may_be_stated(api: Api, cashier: str) -> None:
    context = [{"key": "aws:SourceIp", "values": ["10.1.2.3"]}]
    one = "query($a: String!, $r: String!, $c: [ContextEntry!]) { authorize(action: $a, "
    one += f"resource: $r, context: $c) {SELECTION} }}"
    result = await api(one, {"a": "s3:ListBucket", "r": BUCKET, "c": context}, token=cashier)
    assert result.errors == [], result.errors
    assert result.data is not None
    assert result.data["authorize"]["effect"] == "ALLOW"
