"""`@authorize(action, resource)`: the IAM permission a field needs, shown and enforced.

    @strawberry.field(extensions=[authorize("iam:GetUser",
                                            "arn:aws:iam::{account}:user{path}{userName}")])

The same declaration puts the `@authorize` directive on the field in `schema.graphql`, so a
reader of the schema sees what each field requires, and runs the check before the resolver:
the resource template is filled from `{account}` (the caller's), the field's arguments (and
the fields of an `input` argument) by their GraphQL names, and, for a field of an object, the
object's own values (`authz_values()`); a `{path}` that none of these gives is the named
entity's path, looked up (AWS authorizes against the entity's full ARN); `{callerArn}` is the
caller's own ARN. `context` adds request-context keys, e.g. `["iam:PolicyARN={policyArn}"]`.
`fallback` is the resource when an argument that `resource` names is omitted: the access-key
fields act on the caller's own keys without a `userName`, so they fall back to `{callerArn}`.

`allowed_by` names a check that grants the permission without a policy (AWS has a few: the
account password policy's "allow users to change their own password"): when the caller's
policies do not allow the action, the field is still resolved if that check, given the
caller and the rendered resource, says so.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.schema_directive import Location
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from gateway.graphql.context import PASSWORD_CHANGE_ACTIONS, GatewayContext, iam_action
from gateway.policy import Effect
from gateway.services.principal import Principal

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NAMED_ENTITIES = {"userName": "user", "groupName": "group", "roleName": "role"}

AllowedBy = Callable[[Principal, str], Awaitable[bool]]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="authorize",
    description=(
        "The IAM permission this field requires: the caller's policies must allow `action` on "
        "`resource` (placeholders are filled from the caller's account, the arguments and the "
        "parent object)."
    ),
)
class AuthorizeDirective:
    """The schema-directive form of a field's required permission."""

    action: str
    resource: str
    context: list[str] | None = strawberry.UNSET
    fallback: str | None = strawberry.UNSET


class Authorize(FieldExtension):
    """Enforces a field's `@authorize` directive before its resolver runs."""

    def __init__(
        self,
        action: str,
        resource: str,
        context: list[str] | None = None,
        allowed_by: AllowedBy | None = None,
        fallback: str | None = None,
    ) -> None:
        self.action = action
        self.resource = resource
        self.context = list(context or [])
        self.allowed_by = allowed_by
        self.fallback = fallback
        self.directive = AuthorizeDirective(
            action=action,
            resource=resource,
            context=context or strawberry.UNSET,
            fallback=fallback or strawberry.UNSET,
        )

    def apply(self, field: StrawberryField) -> None:
        """Show the requirement on the field in the schema (once, however often it is built)."""
        if not any(d is self.directive for d in field.directives):
            field.directives.append(self.directive)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Check the caller's permission, then resolve the field."""
        ctx: GatewayContext = info.context
        principal = await ctx.principal()
        values = _values(principal, source, kwargs)
        resource = await _render(self.resource, values, ctx, optional=self.fallback is not None)
        if resource is None and self.fallback is not None:
            resource = await _render(self.fallback, values, ctx)
        resource = resource or "*"
        context = {}
        for entry in self.context:
            key, _, template = entry.partition("=")
            rendered = await _render(template, values, ctx, optional=True)
            if rendered is not None:
                context[key] = rendered
        if self.allowed_by is None or not await self._granted_without_policy(
            ctx, principal, resource, context
        ):
            await ctx.require(self.action, resource, context)
        result = next_(source, info, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _granted_without_policy(
        self, ctx: GatewayContext, principal: Principal, resource: str, context: dict[str, str]
    ) -> bool:
        assert self.allowed_by is not None
        if principal.password_change_required and self.action not in PASSWORD_CHANGE_ACTIONS:
            return False
        if principal.temporary_without_mfa and iam_action(self.action):
            return False
        decision = await ctx.decide(self.action, resource, context)
        # An explicit Deny still wins over the setting.
        return decision.effect is Effect.IMPLICIT_DENY and await self.allowed_by(
            principal, resource
        )


def authorize(
    action: str,
    resource: str,
    *,
    context: list[str] | None = None,
    allowed_by: AllowedBy | None = None,
    fallback: str | None = None,
) -> Authorize:
    """The field extension requiring `action` on `resource` (see the module docstring)."""
    return Authorize(action, resource, context, allowed_by, fallback)


def _values(principal: Principal, source: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"account": principal.account_id, "callerArn": principal.arn}
    authz_values = getattr(source, "authz_values", None)
    if callable(authz_values):
        values.update(authz_values())
    for name, value in kwargs.items():
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                values[to_camel_case(field.name)] = getattr(value, field.name)
        else:
            values[to_camel_case(name)] = value
    return values


async def _render(
    template: str, values: dict[str, Any], ctx: GatewayContext, *, optional: bool = False
) -> str | None:
    names = _PLACEHOLDER.findall(template)
    if "path" in names and values.get("path") is None:
        values["path"] = await _entity_path(values, ctx)
    filled: dict[str, str] = {}
    for name in names:
        value = values.get(name)
        if value is None:
            if optional:
                return None
            value = ""
        filled[name] = str(value)
    return _PLACEHOLDER.sub(lambda m: filled[m.group(1)], template)


async def _entity_path(values: dict[str, Any], ctx: GatewayContext) -> str:
    for placeholder, kind in _NAMED_ENTITIES.items():
        name = values.get(placeholder)
        if isinstance(name, str):
            path = await ctx.loaders.entity_path.load((values["account"], kind, name.lower()))
            return path or "/"
    return "/"
