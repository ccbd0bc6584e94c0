"""Errors raised while reading a policy document.

    PolicyValidationError    not a valid policy (AWS: MalformedPolicyDocument)
     └── PolicySizeError     larger than the caller's quota (AWS: LimitExceeded)

`str(error)` is AWS's own message for the problem, so callers can show it unchanged.
"""

from __future__ import annotations


class PolicyValidationError(ValueError):
    """A policy document that AWS IAM would refuse; `str()` is AWS's message."""

    code = "MalformedPolicyDocument"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicySizeError(PolicyValidationError):
    """A policy document over its size quota (whitespace excluded, as AWS counts)."""

    code = "LimitExceeded"

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit
