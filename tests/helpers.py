"""Helpers shared by the test packages (fixtures live in the conftest.py files)."""

from __future__ import annotations

from typing import Any

from tortoise.models import Model

import gateway.models
from gateway.models import AuditEvent

Snapshot = dict[str, list[dict[str, Any]]]


async def snapshot(*, also_excluding: tuple[type[Model], ...] = ()) -> Snapshot:
    """Every row of every table except the audit trail (and `also_excluding`), in
    primary-key order: compare two to show that nothing changed in between."""
    tables: Snapshot = {}
    for model in gateway.models.__models__:
        if model is AuditEvent or model in also_excluding:
            continue
        tables[model.__name__] = await model.all().order_by(model._meta.pk_attr).values()
    return tables
