"""`gateway.app.create_app`: what building the app applies to the process."""

from __future__ import annotations

import contextvars

from gateway.app import create_app
from gateway.config import Settings
from gateway.services import passwords


def test_the_app_hashes_passwords_with_its_settings_parameters() -> None:
    # Each uvicorn worker builds the app from the environment: that is where its hashing
    # parameters come from.
    chosen = Settings(password_hash_iterations=2, password_hash_parallelism=2)
    try:
        create_app(chosen)
        hasher = contextvars.Context().run(passwords._current)
        assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (7168, 2, 2)
    finally:
        passwords.configure_hashing(Settings())
    assert contextvars.Context().run(passwords._current).time_cost == 5
