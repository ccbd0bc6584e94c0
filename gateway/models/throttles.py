"""Failed sign-in counters: what lockout and throttling (`gateway.auth.throttling`) remember."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.models import Model


class SignInThrottle(Model):
    """Recent failed sign-ins of one identity or from one source address.

    `key` says whose: `identity:<ARN>` for a known user or root user, `name:<account>:<name>`
    for a user name that does not exist (so that guessing names is throttled too), `email:…`
    for an unknown root e-mail, `address:<IP>` for a source address. `failures` counts the
    failures since the counter last went quiet (`last_failed_at`); `locked_until` is when the
    current lockout ends. Rows are changed only with atomic updates (`F()` expressions), so
    that replicas sharing the database count every failure exactly once.
    """

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    failures = fields.IntField(default=0)
    last_failed_at: datetime = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "sign_in_throttles"
