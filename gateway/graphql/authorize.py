"""What each root and nested field requires, shown in the schema and enforced: `@authorize`
for fields guarded by an IAM permission, `@noPermission` for the few that need none.

    @strawberry.mutation(extensions=[authorize(login_profiles.UPDATE, USER)])

(the service declares its action, `login_profiles.UPDATE = "iam:UpdateLoginProfile"`, and the
resolver reads it, so the two cannot drift apart; tests/graphql/test_actions.py checks it.)

The same declaration puts the directive on the field in `schema.graphql`, so a reader of the
schema sees what each field requires, and runs the check before the resolver.

**The target is the stored entity, never the text the caller typed.** A resource template is
one of these, and nothing else (checked when the schema is built, against the field's own
arguments and the fields of its `input` argument, so a misspelled name fails at start-up):

- `*`: any resource;
- a fixed ARN whose only placeholder is `{account}` (the caller's account), such as
  `arn:aws:access-analyzer::{account}:analyzer/gateway`;
- `{callerArn}`: the caller's own ARN;
- `arn:aws:iam::{account}:KIND{path}{NAME}` (the constants `USER`, `GROUP`, `ROLE`, `POLICY`,
  `MFA` below): the stored entity of that kind that the argument NAME names, in any case; the
  resource is its canonical ARN, path included;
- `{ARG}`, where ARG is an argument (`{policyArn}`, `{serialNumber}`, `{policySourceArn}`):
  the stored entity with that ARN;
- `{KEY}`, where KEY is a value of the parent object (`{arn}`, `{ownerArn}`): that value, from
  the stored entity the parent was made from.

A parent object declares its values in a class attribute, `AUTHZ_VALUES: ClassVar[Mapping[str,
str]]`, mapping each template key to the attribute holding it (`{"arn": "arn"}`).

When nothing is stored under the name or ARN (a create, or a request about to fail with
NoSuchEntity), the resource is built from the argument as typed, with the field's `path`
argument if it has one, else `/`. The resolver then receives the canonical name, and the
entities found stay pinned while it runs (`gateway.services.targets`), so the operation acts on
exactly the entities that were authorized and answers with their canonical names.

- `destination` (renames and moves: UpdateUser, UpdateGroup) is the entity's new ARN, where a
  new name or path the caller leaves out is the current one; AWS requires the permission on
  both the source and the destination.
- `context` adds request-context keys, e.g. `["iam:PolicyARN={policyArn}"]`; their values are
  canonical too.
- `fallback` is the resource when the argument `resource` names is omitted: the access-key and
  MFA fields act on the caller's own credentials without a `userName`, so they fall back to
  `{callerArn}`.
- `allowed_by` names a check that grants the permission without a policy (AWS has a few: the
  account password policy's "allow users to change their own password"): when the caller's
  policies do not allow the action (and do not deny it explicitly), the field is still
  resolved if that check, given the caller and the rendered resource, says so.

A session may be restricted whatever its policies say (one that must change its password
first; GetSessionToken credentials without MFA): `gateway.services.authorization.session_refusal`
decides, for `@authorize` and `@noPermission` fields alike.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.schema_directive import Location
from strawberry.types import Info
from strawberry.types.base import StrawberryContainer
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from gateway import arns
from gateway.graphql.context import GatewayContext
from gateway.policy import Effect
from gateway.services import targets
from gateway.services.authorization import session_refusal
from gateway.services.principal import Principal
from gateway.services.targets import Kind, PinKey, Target

USER = arns.iam_arn_template("user", "path", "userName")
GROUP = arns.iam_arn_template("group", "path", "groupName")
ROLE = arns.iam_arn_template("role", "path", "roleName")
POLICY = arns.iam_arn_template("policy", "path", "policyName")
MFA = arns.iam_arn_template("mfa", "path", "virtualMfaDeviceName")
NEW_USER = arns.iam_arn_template("user", "newPath", "newUserName")
NEW_GROUP = arns.iam_arn_template("group", "newPath", "newGroupName")
CALLER = "{callerArn}"
ANY = "*"
POLICY_ARN_KEY = ["iam:PolicyARN={policyArn}"]
BOUNDARY_KEY = ["iam:PermissionsBoundary={permissionsBoundary}"]

AllowedBy = Callable[[Principal, str], Awaitable[bool]]

_ENTITY = re.compile(
    r"arn:aws:iam::\{account\}:(?P<kind>user|group|role|policy|mfa)"
    r"\{(?P<path>path|newPath)\}\{(?P<name>\w+)\}"
)
_PLACEHOLDER = re.compile(r"\{(?P<name>\w+)\}")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="authorize",
    description=(
        "The IAM permission this field requires: the caller's policies must allow `action` on "
        "`resource` (and on `destination`, the new ARN of a rename or move). Entities named by "
        "arguments are the stored ones, whatever the case typed; placeholders are filled from "
        "the caller's account, the arguments and the parent object."
    ),
)
class AuthorizeDirective:
    """The schema-directive form of a field's required permission."""

    action: str
    resource: str
    context: list[str] | None = strawberry.UNSET
    fallback: str | None = strawberry.UNSET
    destination: str | None = strawberry.UNSET


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="noPermission",
    description=(
        "This field needs no IAM permission (as AWS's `action` needs none). `anonymous`: no "
        "credentials either; `duringPasswordChange`: a session that must change its password "
        "first may call it too (no other field accepts one)."
    ),
)
class NoPermissionDirective:
    """The schema-directive form of a field that needs no permission."""

    action: str
    anonymous: bool = False
    during_password_change: bool = False


# -- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str


@dataclass(frozen=True, slots=True)
class _InAccount:
    """A fixed ARN in the caller's account."""

    template: str


@dataclass(frozen=True, slots=True)
class _Caller:
    pass


@dataclass(frozen=True, slots=True)
class _Named:
    """The stored entity of `kind` named by argument `name`; `path` is the argument that gives
    the path of one not stored yet. `creates`: the field has that argument, so it places a new
    entity rather than naming one (its name is passed on as typed, for AWS's messages)."""

    kind: Kind
    name: str
    path: str
    creates: bool = False


@dataclass(frozen=True, slots=True)
class _ByArn:
    """The stored entity whose ARN argument `argument` gives."""

    argument: str


@dataclass(frozen=True, slots=True)
class _Parent:
    """The parent object's value `key`."""

    key: str


_Spec = _Literal | _InAccount | _Caller | _Named | _ByArn | _Parent


@dataclass(frozen=True, slots=True)
class _Argument:
    """Where an argument's value is: a keyword argument, or a field of an `input` one."""

    kwarg: str
    input_field: str | None = None


def _parse(template: str) -> _Spec | str:
    """A template's meaning, or the placeholder name to classify once the field is known."""
    if template == "*":
        return _Literal(template)
    entity = _ENTITY.fullmatch(template)
    if entity is not None:
        return _Named(Kind(entity["kind"]), entity["name"], entity["path"])
    if template.startswith("arn:") and set(_PLACEHOLDER.findall(template)) == {"account"}:
        return _InAccount(template)
    single = _PLACEHOLDER.fullmatch(template)
    if single is None:
        raise ValueError(
            f"@authorize resource template {template!r} is none of: '*', '{{callerArn}}', "
            "'{argument or parent value}', 'arn:aws:iam::{account}:KIND{path}{nameArgument}', "
            "an ARN whose only placeholder is {account}"
        )
    if single["name"] == "callerArn":
        return _Caller()
    return single["name"]


def _arguments(field: StrawberryField) -> dict[str, _Argument]:
    """The field's arguments and the fields of its `input` arguments, by GraphQL name."""
    found: dict[str, _Argument] = {}
    for argument in field.arguments:
        found[argument.graphql_name or to_camel_case(argument.python_name)] = _Argument(
            argument.python_name
        )
        inner: Any = argument.type
        while isinstance(inner, StrawberryContainer):
            inner = inner.of_type
        definition = getattr(inner, "__strawberry_definition__", None)
        if definition is not None and definition.is_input:
            for member in definition.fields:
                name = member.graphql_name or to_camel_case(member.python_name)
                found.setdefault(name, _Argument(argument.python_name, member.python_name))
    return found


def _classify(spec: _Spec | str, field: StrawberryField, arguments: Mapping[str, Any]) -> _Spec:
    where = f"@authorize on {field.origin.__name__ if field.origin else '?'}.{field.python_name}"
    if isinstance(spec, _Named):
        if spec.name not in arguments:
            raise TypeError(f"{where}: the template names {spec.name!r}, not an argument")
        return dataclasses.replace(spec, creates=spec.path in arguments)
    if not isinstance(spec, str):
        return spec
    if spec in arguments:
        return _ByArn(spec)
    parent_keys: Mapping[str, str] = getattr(field.origin, "AUTHZ_VALUES", {})
    if spec in parent_keys:
        return _Parent(spec)
    raise TypeError(
        f"{where}: the template names {spec!r}, which is neither an argument of the field "
        "nor a value of its parent object (AUTHZ_VALUES)"
    )


# -- the field extensions -------------------------------------------------------------------------


@dataclass(slots=True)
class _Rendering:
    """One request's resources and context for a field, and the entities they name."""

    resource: str
    destination: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    pins: dict[PinKey, Target | None] = field(default_factory=dict)
    canonical: dict[str, str] = field(default_factory=dict)


class Authorize(FieldExtension):
    """Enforces a field's `@authorize` directive before its resolver runs."""

    def __init__(
        self,
        action: str,
        resource: str,
        context: list[str] | None = None,
        allowed_by: AllowedBy | None = None,
        fallback: str | None = None,
        destination: str | None = None,
    ) -> None:
        self.action = action
        self.allowed_by = allowed_by
        self.directive = AuthorizeDirective(
            action=action,
            resource=resource,
            context=context or strawberry.UNSET,
            fallback=fallback or strawberry.UNSET,
            destination=destination or strawberry.UNSET,
        )
        self._resource: _Spec | str = _parse(resource)
        self._fallback: _Spec | str | None = _parse(fallback) if fallback else None
        self._destination: _Spec | str | None = _parse(destination) if destination else None
        self._context: list[tuple[str, _Spec | str]] = []
        for entry in context or []:
            key, _, template = entry.partition("=")
            self._context.append((key, _parse(template)))
        self._arguments: dict[str, _Argument] = {}

    def apply(self, field: StrawberryField) -> None:
        """Check the templates against the field, and show the requirement on it in the
        schema (once, however often the schema is built)."""
        arguments = _arguments(field)
        self._arguments = arguments
        self._resource = _classify(self._resource, field, arguments)
        if self._fallback is not None:
            self._fallback = _classify(self._fallback, field, arguments)
        if self._destination is not None:
            destination = _classify(self._destination, field, arguments)
            if not (
                isinstance(destination, _Named)
                and isinstance(self._resource, _Named)
                and destination.kind is self._resource.kind
            ):
                raise TypeError(
                    f"@authorize on {field.python_name}: a destination is the new ARN of the "
                    "entity the resource names, of the same kind"
                )
            self._destination = destination
        self._context = [(key, _classify(spec, field, arguments)) for key, spec in self._context]
        if not any(d is self.directive for d in field.directives):
            field.directives.append(self.directive)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Check the caller's permission on the stored targets, then resolve the field with
        their canonical names, the targets pinned."""
        ctx: GatewayContext = info.context
        principal = await ctx.principal()
        rendering = await self._render(ctx, principal, source, kwargs)
        await self._check(ctx, principal, rendering.resource, rendering.context)
        if rendering.destination is not None and rendering.destination != rendering.resource:
            await self._check(ctx, principal, rendering.destination, rendering.context)
        if rendering.canonical:
            kwargs = self._with_canonical(kwargs, rendering.canonical)
        if not rendering.pins:
            return await _resolved(next_(source, info, **kwargs))
        with targets.pinned(targets.pin_keys(rendering.pins.items())):
            return await _resolved(next_(source, info, **kwargs))

    async def _check(
        self, ctx: GatewayContext, principal: Principal, resource: str, context: dict[str, str]
    ) -> None:
        if self.allowed_by is None or not await self._granted_without_policy(
            ctx, principal, resource, context
        ):
            await ctx.require(self.action, resource, context)

    async def _render(
        self, ctx: GatewayContext, principal: Principal, source: Any, kwargs: dict[str, Any]
    ) -> _Rendering:
        typed = self._typed(kwargs)
        found: dict[PinKey, Target | None] = {}
        canonical: dict[str, str] = {}
        primary: Target | None = None

        async def render(spec: _Spec | str | None) -> str | None:
            nonlocal primary
            match spec:
                case _Literal(text):
                    return text
                case _InAccount(template):
                    return template.replace("{account}", principal.account_id)
                case _Caller():
                    return principal.arn
                case _Parent(key):
                    value = getattr(source, type(source).AUTHZ_VALUES[key])
                    return None if value is None else str(value)
                case _Named(kind, name, path, creates):
                    value = typed.get(name)
                    if not isinstance(value, str):
                        return None
                    target = await ctx.loaders.target.load(
                        (principal.account_id, kind, "name", value)
                    )
                    found[targets.by_name(kind, value)] = target
                    if target is None:
                        where = typed.get(path)
                        return _arn(
                            principal.account_id,
                            kind,
                            where if isinstance(where, str) else "/",
                            value,
                        )
                    primary = target
                    if not creates:
                        canonical[name] = target.name
                    return target.arn
                case _ByArn(argument):
                    value = typed.get(argument)
                    if not isinstance(value, str):
                        return None
                    arn_kind = targets.kind_of_arn(value, principal.account_id)
                    if arn_kind is None:
                        return value
                    target = await ctx.loaders.target.load(
                        (principal.account_id, arn_kind, "arn", value)
                    )
                    found[targets.by_arn(arn_kind, value)] = target
                    return value if target is None else target.arn
            return None

        resource = await render(self._resource)
        if resource is None:
            resource = await render(self._fallback)
        rendering = _Rendering(resource or "*", pins=found, canonical=canonical)
        if isinstance(self._destination, _Named) and primary is not None:
            rendering.destination = _moved(principal.account_id, primary, self._destination, typed)
        for key, spec in self._context:
            value = await render(spec)
            if value is not None:
                rendering.context[key] = value
        return rendering

    def _typed(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments as the caller typed them, by GraphQL name."""
        typed: dict[str, Any] = {}
        for name, where in self._arguments.items():
            value = kwargs.get(where.kwarg)
            if where.input_field is not None:
                value = None if value is None else getattr(value, where.input_field, None)
            if value is not None:
                typed[name] = value
        return typed

    def _with_canonical(
        self, kwargs: dict[str, Any], canonical: Mapping[str, str]
    ) -> dict[str, Any]:
        """`kwargs` naming the stored entities by their canonical names."""
        kwargs = dict(kwargs)
        for name, value in canonical.items():
            where = self._arguments[name]
            if where.input_field is None:
                kwargs[where.kwarg] = value
            else:
                kwargs[where.kwarg] = dataclasses.replace(
                    kwargs[where.kwarg], **{where.input_field: value}
                )
        return kwargs

    async def _granted_without_policy(
        self, ctx: GatewayContext, principal: Principal, resource: str, context: dict[str, str]
    ) -> bool:
        assert self.allowed_by is not None
        if session_refusal(principal, self.action) is not None:
            return False
        decision = await ctx.decide(self.action, resource, context)
        # An explicit Deny still wins over the setting.
        return decision.effect is Effect.IMPLICIT_DENY and await self.allowed_by(
            principal, resource
        )


class NoPermission(FieldExtension):
    """Marks a root field that needs no IAM permission, and refuses it to restricted sessions
    (one that must change its password first, unless `during_password_change`)."""

    def __init__(self, action: str, *, anonymous: bool, during_password_change: bool) -> None:
        self.action = action
        self.anonymous = anonymous
        self.directive = NoPermissionDirective(
            action=action, anonymous=anonymous, during_password_change=during_password_change
        )
        self.during_password_change = during_password_change

    def apply(self, field: StrawberryField) -> None:
        """Show the declaration on the field in the schema."""
        if not any(d is self.directive for d in field.directives):
            field.directives.append(self.directive)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Resolve the field, unless the caller's session may not call it."""
        if not self.anonymous and not self.during_password_change:
            ctx: GatewayContext = info.context
            await ctx.refuse_restricted(await ctx.principal(), self.action, "*")
        return await _resolved(next_(source, info, **kwargs))


def _moved(
    account_id: str, current: Target, destination: _Named, typed: Mapping[str, Any]
) -> str | None:
    """The ARN `current` would have after the move, if the request moves or renames it (a new
    name or path left out is the current one)."""
    new_name, new_path = typed.get(destination.name), typed.get(destination.path)
    if new_name is None and new_path is None:
        return None
    name = new_name if isinstance(new_name, str) else current.name
    path = new_path if isinstance(new_path, str) else current.path
    return _arn(account_id, current.kind, path, name)


def _arn(account_id: str, kind: Kind, path: str, name: str) -> str:
    """The ARN a request names, even with a path the service will refuse as invalid."""
    return arns.typed_iam_arn(account_id, kind, path, name)


async def _resolved(result: Any) -> Any:
    if inspect.isawaitable(result):
        return await result
    return result


def authorize(
    action: str,
    resource: str,
    *,
    context: list[str] | None = None,
    allowed_by: AllowedBy | None = None,
    fallback: str | None = None,
    destination: str | None = None,
) -> Authorize:
    """The field extension requiring `action` on `resource` (see the module docstring)."""
    return Authorize(action, resource, context, allowed_by, fallback, destination)


def no_permission(
    action: str, *, anonymous: bool = False, during_password_change: bool = False
) -> NoPermission:
    """The field extension of a root field that needs no permission: `action` names it in
    the audit trail; `anonymous` fields need no credentials (signing in);
    `during_password_change` ones serve a session that must change its password first."""
    return NoPermission(action, anonymous=anonymous, during_password_change=during_password_change)


def declares_access(field: StrawberryField) -> bool:
    """Whether a root field says what it requires (`@authorize` or `@noPermission`)."""
    return any(isinstance(e, Authorize | NoPermission) for e in field.extensions)
