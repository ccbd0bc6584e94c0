"""AWS's service models of IAM and STS, as the Query face reads them: shapes, operations, errors.

The models are botocore's (`botocore/data/{iam,sts}/…/service-2.json`, Apache-2.0), cut down
at build time to the operations the gateway serves, the shapes they reach and the error
shapes, without documentation, and shipped in `gateway/aws/data/` (`scripts/aws_models.py`
writes them; `tests/aws/test_model.py` checks they equal what the installed botocore gives).
So member names and order, list wrapping, types, enums and the HTTP status of each error code
are AWS's, and the runtime needs no botocore.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SERVICES = ("iam", "sts")
"""The signing service names the Query face answers, each with its own model."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One API action: its input and output shapes (None when it has none)."""

    name: str
    input: str | None
    output: str | None
    result_wrapper: str | None


class ServiceModel:
    """One service's model (see the module docstring)."""

    def __init__(self, data: dict[str, Any]) -> None:
        metadata = data["metadata"]
        self.service: str = metadata["endpointPrefix"]
        self.api_version: str = metadata["apiVersion"]
        self.namespace: str = metadata["xmlNamespace"]
        self.shapes: dict[str, dict[str, Any]] = data["shapes"]
        self.operations = {
            name: Operation(name, op.get("input"), op.get("output"), op.get("resultWrapper"))
            for name, op in data["operations"].items()
        }
        self.errors: dict[str, tuple[int, bool]] = {
            code: (status, sender) for code, (status, sender) in data["errors"].items()
        }

    def shape(self, name: str) -> dict[str, Any]:
        """The shape `name` (a dict as in botocore's model)."""
        return self.shapes[name]

    def members(self, name: str) -> dict[str, dict[str, Any]]:
        """The members of the structure `name`, in AWS's order."""
        members: dict[str, dict[str, Any]] = self.shapes[name].get("members", {})
        return members


@cache
def service_model(service: str) -> ServiceModel:
    """The shipped model of `service` (`iam` or `sts`), read once."""
    text = resources.files("gateway.aws").joinpath("data", f"{service}.json").read_text()
    return ServiceModel(json.loads(text))


def trimmed(full: dict[str, Any], actions: list[str]) -> dict[str, Any]:
    """The part of a full botocore service model that the gateway ships: the `actions`, every
    shape they reach, and each error code's HTTP status and fault; no documentation."""
    shapes = full["shapes"]
    kept: dict[str, Any] = {}

    def keep(name: str) -> None:
        if name in kept:
            return
        shape = {k: v for k, v in shapes[name].items() if k not in ("documentation", "exception")}
        if "members" in shape:
            shape["members"] = {
                member: {k: v for k, v in spec.items() if k != "documentation"}
                for member, spec in shape["members"].items()
            }
        kept[name] = shape
        for spec in shape.get("members", {}).values():
            keep(spec["shape"])
        for part in ("member", "key", "value"):
            if part in shape:
                keep(shape[part]["shape"])

    operations = {}
    for action in sorted(actions):
        op = full["operations"][action]
        entry: dict[str, Any] = {}
        if "input" in op:
            entry["input"] = op["input"]["shape"]
            keep(entry["input"])
        if "output" in op:
            entry["output"] = op["output"]["shape"]
            keep(entry["output"])
            if "resultWrapper" in op["output"]:
                entry["resultWrapper"] = op["output"]["resultWrapper"]
        operations[action] = entry
    errors = {
        shape["error"]["code"]: [
            shape["error"]["httpStatusCode"],
            shape["error"].get("senderFault", False),
        ]
        for shape in shapes.values()
        if "error" in shape and "httpStatusCode" in shape["error"]
    }
    metadata = {k: full["metadata"][k] for k in ("apiVersion", "endpointPrefix", "xmlNamespace")}
    return {
        "metadata": metadata,
        "operations": operations,
        "shapes": dict(sorted(kept.items())),
        "errors": dict(sorted(errors.items())),
    }
