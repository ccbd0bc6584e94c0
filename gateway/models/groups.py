"""Groups and group membership. Groups hold users, never other groups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.models.accounts import Account
    from gateway.models.users import User


class Group(Model):
    """A set of users: the policies of a group apply to each of its members.

    Like users, names are unique per account ignoring case (`name_lower`).
    """

    id = fields.CharField(max_length=21, primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="groups", on_delete=fields.CASCADE
    )
    account_id: str
    name = fields.CharField(max_length=128)
    name_lower = fields.CharField(max_length=128)
    path = fields.CharField(max_length=512, default="/")
    arn = fields.CharField(max_length=1024, unique=True)
    created_at: datetime = fields.DatetimeField(auto_now_add=True)

    memberships: fields.ReverseRelation[GroupMembership]

    class Meta:
        table = "groups"
        unique_together = (("account", "name_lower"),)

    def __str__(self) -> str:
        return self.arn


class GroupMembership(Model):
    """One user's membership of one group."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: str
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: str
    created_at: datetime = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_memberships"
        unique_together = (("user", "group"),)
