"""The config Tortoise's own command line (`tortoise makemigrations`, `tortoise migrate`) reads,
through `[tool.tortoise] tortoise_orm` in pyproject.toml. Only that command imports this module:
it reads `GATEWAY_DATABASE_URL` on import."""

from __future__ import annotations

from typing import Any

from gateway.config import Settings
from gateway.db import tortoise_config

TORTOISE_ORM: dict[str, Any] = tortoise_config(Settings.from_env().database_url)
"""The project's Tortoise config on `GATEWAY_DATABASE_URL`."""
