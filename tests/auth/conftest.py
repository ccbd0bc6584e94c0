"""Fixtures for the authentication tests: the service tests' `rejects` (a refused call
changes nothing and leaves a Failed audit event)."""

from tests.services.conftest import rejects  # noqa: F401  (a fixture, shared)
