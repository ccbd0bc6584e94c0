"""The policy engine's public surface is what the README's "The policy engine" promises;
outside tools import it."""

from __future__ import annotations

import ast
from pathlib import Path

import gateway.policy


def test_public_api_is_exactly_the_documented_names() -> None:
    assert sorted(gateway.policy.__all__) == [
        "CompiledPolicies",
        "Decision",
        "Effect",
        "Policy",
        "PolicySizeError",
        "PolicyValidationError",
        "PreparedPrincipal",
        "Request",
        "Statement",
        "StatementRef",
        "compile_policies",
        "evaluate",
        "parse_policy",
        "policy_size",
    ]


def test_effect_is_a_string_enum_with_aws_names() -> None:
    assert [str(e) for e in gateway.policy.Effect] == ["Allow", "ExplicitDeny", "ImplicitDeny"]


def test_policy_package_imports_nothing_else_from_the_project_and_nothing_async() -> None:
    package = Path(gateway.policy.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                name = node.module
                assert not name.startswith("gateway.") or name.startswith("gateway.policy"), module
                assert name != "asyncio", module
            if isinstance(node, ast.Import):
                assert all(alias.name != "asyncio" for alias in node.names), module
            assert not isinstance(node, ast.AsyncFunctionDef | ast.Await), module
