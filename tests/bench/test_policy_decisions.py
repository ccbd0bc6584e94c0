"""The decision benchmark keeps running and keeps every engine in agreement."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "policy_decisions.py"


def test_quick_benchmark_run_finds_all_engines_in_agreement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("policy_decisions", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["policy_decisions"] = module
    try:
        spec.loader.exec_module(module)
        assert module.main(["--quick"]) == 0
    finally:
        del sys.modules["policy_decisions"]
    output = capsys.readouterr().out
    assert "AGREE" in output
    assert "compiled.evaluate" in output
