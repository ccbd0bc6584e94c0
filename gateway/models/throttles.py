"""Failed sign-in counters: what lockout and throttling of sign-in
(`gateway.services.signin_throttling`) remember."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.models import Model


class SignInThrottle(Model):
    """Recent failed sign-ins of one identity or from one source address.

    `key` says whose: `identity:<ARN>` for a known user or root user, `name:<account>:<name>`
    for a user name that does not exist (so that guessing names is throttled too), `email:…`
    for an unknown root e-mail, `address:<IP>` for a source address, and `<identity key>@<IP>`
    for an identity tried from one address (the counter that locks). `identity` is the identity
    key a row belongs to (None for an address), so that all of an identity's rows can be
    found. `failures` counts the attempts since the counter last went quiet (`last_failed_at`);
    `locked_until` is when the current lockout ends. Rows are changed only in transactions that
    hold them (`gateway.services.signin_throttling.reserve`), so that replicas sharing the
    database count every attempt exactly once.
    """

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    identity = fields.CharField(max_length=255, null=True)
    failures = fields.IntField(default=0)
    last_failed_at: datetime = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "sign_in_throttles"
        indexes = (("identity",),)
