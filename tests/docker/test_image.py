"""The image and the compose file: what goes to the daemon, where the data lives, what the logs
and the health check are. (No container engine runs here: these read the files.)"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
DATA = "/var/lib/gateway"


def _ignored(path: str) -> bool:
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, f"**/{pattern}")
        for pattern in patterns
        for prefix in prefixes
    )


def _final_stage() -> list[str]:
    return DOCKERFILE.split("\nFROM ")[-1].splitlines()


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((ROOT / "docker" / "compose.yaml").read_text())
    return loaded


def test_the_build_context_leaves_out_local_state_and_secrets() -> None:
    for path in (
        ".venv/bin/python",
        "gateway.db",
        "data/gateway.db-wal",
        "gateway.key",
        "gateway.root-password",
        ".git/HEAD",
        "gateway/__pycache__/app.cpython-311.pyc",
        ".mypy_cache/3.11/x.json",
    ):
        assert _ignored(path), path
    for path in ("gateway/app.py", "migrations/0001_initial.py", "pyproject.toml", "README.md"):
        assert not _ignored(path), path


def test_the_data_directory_is_a_volume_and_the_working_directory() -> None:
    final = _final_stage()
    assert f'VOLUME ["{DATA}"]' in final
    assert f"WORKDIR {DATA}" in final
    assert any(f"GATEWAY_DATABASE_URL=sqlite://{DATA}/gateway.db" in line for line in final)
    assert "USER gateway" in final


def test_the_image_logs_json_and_reports_healthy_when_ready() -> None:
    text = "\n".join(_final_stage())
    assert "GATEWAY_LOG_FORMAT=json" in text
    assert "/readyz" in text.split("HEALTHCHECK", 1)[1]


def test_compose_keeps_each_replicas_data_and_needs_no_root_password() -> None:
    compose = _compose()
    for name in ("gateway-1", "gateway-2"):
        service = compose["services"][name]
        volume = service["volumes"][0]
        assert volume.endswith(f":{DATA}")
        assert volume.split(":")[0] in compose["volumes"]
        environment = service["environment"]
        assert environment["GATEWAY_ROOT_PASSWORD"] == "${GATEWAY_ROOT_PASSWORD:-}"
        assert ":?" in environment["GATEWAY_SECRET_KEY"]  # replicas must share one
    assert compose["services"]["gateway-2"]["depends_on"]["gateway-1"]["condition"] == (
        "service_healthy"
    )
