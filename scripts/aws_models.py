"""Write gateway/aws/data/{iam,sts}.json: botocore's IAM and STS models, cut to what the
gateway serves (see gateway/aws/model.py). Run after changing gateway/aws/operations.py or
upgrading botocore:

    .venv/bin/python scripts/aws_models.py
"""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session

from gateway.aws.model import SERVICES, trimmed
from gateway.aws.operations import ACTIONS

DATA = Path(__file__).resolve().parents[1] / "gateway" / "aws" / "data"


def shipped_model(service: str) -> str:
    """The text of the trimmed model of `service`, from the installed botocore."""
    full = botocore.session.get_session().get_service_data(service)
    actions = [action.name for action in ACTIONS if action.service == service]
    return json.dumps(trimmed(full, actions), indent=1) + "\n"


def main() -> None:
    """Write every service's trimmed model."""
    for service in SERVICES:
        (DATA / f"{service}.json").write_text(shipped_model(service))


if __name__ == "__main__":
    main()
