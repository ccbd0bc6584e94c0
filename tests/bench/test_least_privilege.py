"""The least-privilege benchmark keeps running: it seeds an account and times every report."""

from __future__ import annotations

from tests.helpers import run_bench


def test_quick_run_times_every_report() -> None:
    # In its own process: the benchmark seeds its database through its own ORM context.
    output = run_bench("least_privilege.py", "--quick")
    for row in (
        "findings: analyse + first page",
        "credential report: generate + get",
        "last accessed: a group (ACTION_LEVEL)",
        "policy generation: hoarder (400 actions)",
        "validatePolicy:",
    ):
        assert f"\n{row}" in output, output
