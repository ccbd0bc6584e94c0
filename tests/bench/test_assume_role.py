"""The role-session benchmark keeps running: a server up, every answer checked, a table."""

from __future__ import annotations

from tests.helpers import run_bench


def test_quick_run_measures_assume_role_and_the_first_request() -> None:
    # In its own process: the benchmark seeds its database through its own ORM context.
    output = run_bench("assume_role.py", "--quick")
    for row in ("assumeRole", "first request after assumeRole", "getSessionToken", "signIn"):
        assert f"\n{row} " in output
    assert "assumeRole / getSessionToken: " in output
