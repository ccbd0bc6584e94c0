"""A decision takes time linear in its input, whatever patterns a policy holds.

Issue 9 item 4: wildcards once compiled to backtracking regexes, and one `authorize` call with
`arn:aws:s3:::logs-*-*-*/*/*.gz` against `"arn:aws:s3:::logs-" + "-/" * n + "x"` took a second
at 339 characters. Every glob (Action, NotAction, Resource, NotResource, StringLike, ArnLike)
is timed here at the largest sizes AWS accepts (ARNs of 2,048 characters). The bound asserted
(50 ms) is generous for a busy machine; the bench reports the real figure, well under 1 ms.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from gateway.policy import Effect, Policy, Request, compile_policies, evaluate, parse_policy
from gateway.policy.matching import glob_text_matcher
from tests.policy.conftest import build_principal

MAX_ARN = 2048
BOUND_S = 0.05

STAR_CHAIN = "a*" * 40 + "b"
LOGS = "arn:aws:s3:::logs-*-*-*/*/*.gz"
QUESTION_CHAIN = "a?*" * 30 + "b"


def _logs_input(size: int) -> str:
    head = "arn:aws:s3:::logs-"
    return head + "-/" * ((size - len(head) - 1) // 2) + "x"


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """The result and the fastest of three runs: a busy machine may pause one run, but an
    exponential matcher is slow every time."""
    best = float("inf")
    result = None
    for _ in range(3):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    return result, best


ADVERSARIAL = [
    pytest.param(STAR_CHAIN, "a" * MAX_ARN, False, id="a*a*a*...b vs aaaa"),
    pytest.param(QUESTION_CHAIN, "a" * MAX_ARN, False, id="a?*a?*...b vs aaaa"),
    pytest.param(LOGS, _logs_input(MAX_ARN), False, id="logs-*-*-*/*/*.gz vs logs-/-/-/...x"),
    pytest.param(LOGS, _logs_input(MAX_ARN - 3)[:-1] + ".gz", True, id="logs pattern, a match"),
    pytest.param("*" + "?" * 1000 + "*x", "y" * MAX_ARN, False, id="many ? then x"),
    pytest.param("*ab*ab*ab*ab*ab*abc", "ab" * (MAX_ARN // 2), False, id="repeated needles"),
]


@pytest.mark.parametrize(("pattern", "candidate", "expected"), ADVERSARIAL)
def test_glob_matcher_is_fast_on_adversarial_patterns(
    pattern: str, candidate: str, expected: bool
) -> None:
    matcher = glob_text_matcher(pattern)
    result, elapsed = _timed(lambda: matcher(candidate))
    assert result is expected
    assert elapsed < BOUND_S


def _policy(statement: dict[str, Any]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def _decide_both(policy: Policy, request: Request) -> Effect:
    compiled = compile_policies([policy])
    reference, reference_s = _timed(lambda: evaluate(request, [policy]))
    fast, fast_s = _timed(lambda: compiled.evaluate(request))
    assert fast == reference
    assert reference_s < BOUND_S
    assert fast_s < BOUND_S
    effect: Effect = fast.effect
    return effect


@pytest.mark.parametrize(("pattern", "candidate", "expected"), ADVERSARIAL)
def test_a_decision_on_an_adversarial_resource_pattern_is_fast(
    pattern: str, candidate: str, expected: bool
) -> None:
    resource = pattern if pattern.startswith("arn:") else f"arn:aws:s3:::{pattern}"
    arn = candidate if candidate.startswith("arn:") else f"arn:aws:s3:::{candidate}"
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource})
    request = Request("s3:GetObject", arn[:MAX_ARN], build_principal())
    effect = _decide_both(policy, request)
    assert (effect is Effect.ALLOW) is (expected and len(arn) <= MAX_ARN)


@pytest.mark.parametrize(("pattern", "candidate", "expected"), ADVERSARIAL)
def test_a_decision_on_an_adversarial_not_resource_pattern_is_fast(
    pattern: str, candidate: str, expected: bool
) -> None:
    resource = pattern if pattern.startswith("arn:") else f"arn:aws:s3:::{pattern}"
    arn = candidate if candidate.startswith("arn:") else f"arn:aws:s3:::{candidate}"
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": resource})
    effect = _decide_both(policy, Request("s3:GetObject", arn[:MAX_ARN], build_principal()))
    assert (effect is Effect.ALLOW) is not (expected and len(arn) <= MAX_ARN)


@pytest.mark.parametrize("element", ["Action", "NotAction"])
def test_a_decision_on_an_adversarial_action_pattern_is_fast(element: str) -> None:
    policy = _policy({"Effect": "Allow", element: "s3:" + STAR_CHAIN, "Resource": "*"})
    action = "s3:" + "a" * (MAX_ARN - 3)
    effect = _decide_both(policy, Request(action, "arn:aws:s3:::x", build_principal()))
    assert (effect is Effect.ALLOW) is (element == "NotAction")


@pytest.mark.parametrize(
    ("operator", "pattern", "value"),
    [
        ("StringLike", STAR_CHAIN, "a" * MAX_ARN),
        ("StringLike", QUESTION_CHAIN, "a" * MAX_ARN),
        ("StringNotLike", STAR_CHAIN, "a" * MAX_ARN),
        ("ArnLike", LOGS, _logs_input(MAX_ARN)),
        ("ArnNotLike", LOGS, _logs_input(MAX_ARN)),
        ("ArnLike", "arn:aws:s3:::" + STAR_CHAIN, "arn:aws:s3:::" + "a" * (MAX_ARN - 13)),
    ],
)
def test_a_decision_on_an_adversarial_like_condition_is_fast(
    operator: str, pattern: str, value: str
) -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {operator: {"aws:SourceArn": pattern}},
        }
    )
    request = Request("s3:GetObject", "arn:aws:s3:::x", build_principal(), {"aws:SourceArn": value})
    effect = _decide_both(policy, request)
    assert (effect is Effect.ALLOW) is ("Not" in operator)


def test_fifty_adversarial_statements_at_once_stay_fast() -> None:
    statements = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": LOGS.replace("logs", f"l{i}")}
        for i in range(50)
    ]
    statements.append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": LOGS})
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    request = Request("s3:GetObject", _logs_input(MAX_ARN), build_principal())
    assert _decide_both(policy, request) is Effect.IMPLICIT_DENY
