"""Authorization cases taken from AWS's IAM documentation, run against the policy engine.

Each ``cases/*.json`` file encodes one documented source: its example policies and the
outcomes the documentation states for them (or that follow directly from a documented
rule; each scenario's ``why`` says which). Every case is checked twice: through
``evaluate`` and through ``compile_policies(...).evaluate``, which must agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.policy import (
    Decision,
    Effect,
    Policy,
    Request,
    compile_policies,
    evaluate,
    parse_policy,
)

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
EFFECTS = {"Allow", "ExplicitDeny", "ImplicitDeny"}
DENIERS = {"identity", "boundary", "session", "resource"}

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class DocumentedCase:
    """One request against one scenario's policies, with the documented outcome."""

    file: str
    scenario: JsonObject
    case: JsonObject

    @property
    def id(self) -> str:
        return f"{self.file}:{self.scenario['name']}:{self.case['name']}"


def _load(path: Path) -> JsonObject:
    document: JsonObject = json.loads(path.read_text(encoding="utf-8"))
    return document


def _documented_cases() -> Iterator[DocumentedCase]:
    for path in CASE_FILES:
        for scenario in _load(path)["scenarios"]:
            for case in scenario["cases"]:
                yield DocumentedCase(path.stem, scenario, case)


DOCUMENTED_CASES = list(_documented_cases())


def _parse(document: Mapping[str, Any], kind: str, name: str) -> Policy:
    return parse_policy(json.dumps(document), kind, name=name)


def _parse_all(documents: list[JsonObject] | None, kind: str, name: str) -> list[Policy] | None:
    if documents is None:
        return None
    return [_parse(document, kind, f"{name}-{index}") for index, document in enumerate(documents)]


def _request(spec: Mapping[str, Any]) -> Request:
    return Request(
        action=spec["action"],
        resource=spec["resource"],
        principal=spec["principal"],
        context=spec.get("context", {}),
    )


def _check(decision: Decision, expected: Mapping[str, Any], how: str) -> None:
    assert decision.effect == Effect(expected["expect"]), f"{how}: effect"
    if "denied_by" in expected:
        assert decision.denied_by == expected["denied_by"], f"{how}: denied_by"
    if "missing_keys" in expected:
        got = sorted(key.lower() for key in decision.missing_keys)
        want = sorted(key.lower() for key in expected["missing_keys"])
        assert got == want, f"{how}: missing_keys"


@pytest.mark.parametrize("documented", DOCUMENTED_CASES, ids=lambda c: c.id)
def test_documented_case(documented: DocumentedCase) -> None:
    scenario, case = documented.scenario, documented.case
    identity = _parse_all(scenario.get("identity", []), "identity", "identity") or []
    boundary = _parse_all(scenario.get("boundary"), "identity", "boundary")
    session = _parse_all(scenario.get("session"), "identity", "session")
    resource_document = scenario.get("resource")
    resource = (
        None
        if resource_document is None
        else _parse(resource_document, scenario.get("resource_kind", "resource"), "resource")
    )
    request = _request(case["request"])

    direct = evaluate(
        request, identity=identity, boundary=boundary, session=session, resource=resource
    )
    _check(direct, case, "evaluate")

    compiled = compile_policies(identity).evaluate(
        request, boundary=boundary, session=session, resource=resource
    )
    _check(compiled, case, "compile_policies(...).evaluate")


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_file_is_well_formed(path: Path) -> None:
    document = _load(path)
    assert str(document.get("source", "")).startswith("https://docs.aws.amazon.com/")
    assert document.get("description")
    assert document["scenarios"], "a case file needs at least one scenario"
    scenario_names = [scenario["name"] for scenario in document["scenarios"]]
    assert len(scenario_names) == len(set(scenario_names)), "scenario names must be unique"
    for scenario in document["scenarios"]:
        assert scenario.get("why"), f"{scenario['name']}: say why the outcome is documented"
        assert scenario["cases"], f"{scenario['name']}: needs at least one case"
        assert scenario.get("resource_kind", "resource") in {"resource", "trust"}
        case_names = [case["name"] for case in scenario["cases"]]
        assert len(case_names) == len(set(case_names)), f"{scenario['name']}: duplicate case"
        for case in scenario["cases"]:
            assert case["expect"] in EFFECTS, f"{scenario['name']}:{case['name']}"
            assert case.get("denied_by", "identity") in DENIERS
            assert case["expect"] != "Allow" or "denied_by" not in case
            assert {"action", "resource", "principal"} <= case["request"].keys()


def test_corpus_is_not_empty() -> None:
    assert len(CASE_FILES) >= 10
    assert len(DOCUMENTED_CASES) >= 120
