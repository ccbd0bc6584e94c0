"""The layers import only downwards (DESIGN.md, Architecture):

    graphql → auth → services → models → policy

Every module of the `gateway` package is read with `ast`, and every import in it counts,
those inside functions and under `TYPE_CHECKING` included (relative imports are resolved).
The rules:

- A module in a layer may import its own layer and the layers below it, never one above:
  models import no services, auth or graphql; services no auth or graphql; auth no graphql.
- `gateway.policy` imports nothing from `gateway` outside `gateway.policy`: it is a library
  of its own, pure and synchronous.
- The other layers may also import the small shared modules (`SHARED`): `errors`, `arns`,
  `clock`, `ids`, `config`, and `notifications` (the LISTEN/NOTIFY hub that services' writes
  and graphql's subscriptions share).
- A shared module imports only other shared modules and `gateway.policy` (`errors` carries
  the policy engine's errors), so importing one never pulls in a layer from above.
  `gateway.logs` is not shared for that reason: it reads the request id from `gateway.http`,
  which reads `gateway.services.writes`.
- Everything else (`OUTER`: app, cli, listeners, db, sqlite_client, logs, first_start,
  tortoise_cli, http/, aws/, console/, data/) sits above the layers, may import any of them,
  and is imported by none, except that graphql, the HTTP side of the layers, may import
  `gateway.http`.
- Every top-level module of `gateway` is one of the above: a new one fails
  `test_every_top_level_module_has_a_place` until it is given its place here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gateway

PACKAGE = Path(gateway.__file__).parent
LAYERS = ("policy", "models", "services", "auth", "graphql")
"""Bottom to top: each may import the ones before it."""
SHARED = frozenset({"errors", "arns", "clock", "ids", "config", "notifications"})
OUTER = frozenset(
    {
        "app",
        "cli",
        "listeners",
        "db",
        "sqlite_client",
        "logs",
        "first_start",
        "tortoise_cli",
        "http",
        "aws",
        "console",
        "data",
    }
)
ALSO_ALLOWED = {"graphql": frozenset({"http"})}
"""Outer parts a layer may import all the same."""


def module_name(path: Path) -> str:
    """`gateway.services.signin` for `gateway/services/signin.py` (packages by their
    `__init__`)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(module: str, source: str, *, is_package: bool = False) -> set[str]:
    """The `gateway` modules (or packages) that `source`, the text of `module`, imports:
    `from gateway import clock` as `gateway.clock`, `from gateway.services import writes` as
    `gateway.services.writes`, relative imports resolved."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            if target == "gateway":  # `from gateway import clock`: the names are modules
                found.update(f"gateway.{alias.name}" for alias in node.names)
    return {name for name in found if name == "gateway" or name.startswith("gateway.")}


def part_of(module: str) -> str:
    """The top-level part of `gateway` a module belongs to: `services` for
    `gateway.services.signin`, `clock` for `gateway.clock`, "" for the package itself."""
    return module.split(".")[1] if "." in module else ""


def allowed(importer: str, imported: str) -> bool:
    """Whether a module in part `importer` may import one in part `imported` (the rules
    above)."""
    if imported in ("", importer):  # the package itself imports nothing; one's own part
        return importer != "policy" or imported == "policy"
    if importer == "policy":
        return False
    if importer in LAYERS:
        if imported in LAYERS:
            return LAYERS.index(imported) < LAYERS.index(importer)
        return imported in SHARED or imported in ALSO_ALLOWED.get(importer, frozenset())
    if importer in SHARED:
        return imported in SHARED or imported == "policy"
    return True  # the outer modules may import anything


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """`module imports name` for each import in `source` that the rules forbid."""
    importer = part_of(module)
    return sorted(
        f"{module} imports {name}"
        for name in imported_modules(module, source, is_package=is_package)
        if not allowed(importer, part_of(name))
    )


def gateway_modules() -> list[Path]:
    """Every Python file of the package."""
    return sorted(PACKAGE.rglob("*.py"))


def test_every_top_level_module_has_a_place() -> None:
    parts = {
        path.stem if path.is_file() else path.name
        for path in PACKAGE.iterdir()
        if (path.is_file() and path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and any(path.glob("*.py")))  # gateway.graphql has no __init__
    }

    assert parts - set(LAYERS) - SHARED - OUTER == set()
    assert set(LAYERS) | SHARED | OUTER <= parts  # the lists name nothing that is gone


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_only_itself_the_layers_below_and_the_shared_modules(
    layer: str,
) -> None:
    paths = [path for path in gateway_modules() if part_of(module_name(path)) == layer]
    assert paths, f"no modules found in gateway.{layer}"

    found = [
        violation
        for path in paths
        for violation in violations(
            module_name(path), path.read_text(), is_package=path.name == "__init__.py"
        )
    ]

    assert found == []


def test_shared_modules_import_only_each_other_and_policy() -> None:
    found = [
        violation
        for path in gateway_modules()
        if part_of(module_name(path)) in SHARED
        for violation in violations(module_name(path), path.read_text())
    ]

    assert found == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("gateway.services.signin", "from gateway.auth.sessions import principal_of"),
        ("gateway.services.signin", "def f():\n    from gateway.auth import tokens\n"),
        ("gateway.services.signin", "from ..auth import sessions"),
        ("gateway.services.signin", "from gateway import auth"),
        ("gateway.services.signin", "import gateway.graphql.schema"),
        ("gateway.models.users", "from gateway.services.principal import Principal"),
        ("gateway.auth.sessions", "from gateway.graphql.context import Context"),
        ("gateway.policy.evaluator", "from gateway.errors import GatewayError"),
        ("gateway.policy.evaluator", "from gateway import clock"),
        ("gateway.services.users", "from gateway.http.request_id import current_request_id"),
        ("gateway.services.users", "from gateway.logs import configure"),
        ("gateway.clock", "from gateway.models import Account"),
    ],
)
def test_an_upward_import_is_a_violation(module: str, source: str) -> None:
    assert violations(module, source) != []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("gateway.services.signin", "from gateway.services.principal import principal_of"),
        ("gateway.services.signin", "from . import mfa_challenges"),
        ("gateway.services.signin", "from gateway import arns, clock"),
        ("gateway.services.signin", "from gateway.models import Session"),
        ("gateway.services.signin", "from gateway.policy import Decision"),
        ("gateway.auth.sessions", "from gateway.services.bearer_tokens import hash_token"),
        ("gateway.graphql.view", "from gateway.http.body_limit import BodyTooLarge"),
        ("gateway.policy.evaluator", "from gateway.policy.matching import matches"),
        ("gateway.errors", "from gateway.policy import PolicySizeError"),
        ("gateway.app", "from gateway.graphql.schema import schema"),
    ],
)
def test_a_downward_or_shared_import_is_allowed(module: str, source: str) -> None:
    assert violations(module, source) == []
