"""`POST /aws/`: the IAM and STS Query APIs, for boto3, the AWS CLI and every AWS SDK.

One endpoint serves both services, told apart by the service a request is signed for (`iam`
or `sts`, in the SigV4 credential scope); requests must be signed (MissingAuthenticationToken
otherwise). A request is `Action=CreateUser&Version=2010-05-08&UserName=…`, form-encoded (or
in the query string). The action's entry in `gateway.aws.operations` says which GraphQL
operation does it; it runs on the gateway's own schema with a GraphQL context for the signed
caller, so authorization (`@authorize`), the audit trail, validation and errors are the
GraphQL API's own. The data comes back as AWS's XML (`gateway.aws.render`); an error as an
`ErrorResponse` with AWS's code and the HTTP status AWS's model gives it.

Paging: MaxItems (1 to 1,000, 100 by default) and Marker are a connection's `first` and `after`
where GraphQL pages; where GraphQL returns a whole list (a user's access keys, inline policy
names, tags…) the list is cut here, with an opaque Marker. IsTruncated says whether more
follow; Marker is present only then.

Request parameters the gateway does not implement (ExternalId, Tags of AssumeRole,
PolicyUsageFilter, …) are refused with InvalidInput rather than ignored.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth import sigv4
from gateway.aws.documents import Document, PreparedAction, prepare
from gateway.aws.model import SERVICES, ServiceModel, service_model
from gateway.aws.operations import ACTIONS
from gateway.aws.query_input import parse_members, to_variable
from gateway.aws.render import error_xml, flatten, result_xml
from gateway.errors import (
    GatewayError,
    IncompleteSignature,
    InvalidAction,
    InvalidInput,
    MissingAuthenticationToken,
    ValidationError,
)
from gateway.graphql.context import GatewayContext, app_state
from gateway.graphql.errors import INTERNAL_ERROR_MESSAGE
from gateway.http.request_id import current_request_id

logger = logging.getLogger("gateway.aws")

XML = "text/xml"
MAX_ITEMS = 1000
MARKER_PREFIX = "gwm_"
_MARKER = re.compile(r"gwm_(\d{1,9})")
UNSIGNED = (
    "The request must contain either a valid (registered) AWS access key ID or X.509 certificate."
)
NOT_SIGV4 = (
    "Authorization header requires 'Credential' parameter. Authorization header requires "
    "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
    "Requests to the IAM and STS APIs must be signed with AWS Signature Version 4."
)
NON_USER = "Must specify userName when calling with non-User credentials"

AWS_CODES = {
    "Unauthenticated": "InvalidClientTokenId",
    "Throttled": "Throttling",
    "GRAPHQL_PARSE_FAILED": "ValidationError",
    "GRAPHQL_VALIDATION_FAILED": "ValidationError",
}
"""The gateway's codes that AWS spells otherwise (the rest are AWS's already)."""
COMMON_STATUS = {
    "AccessDenied": 403,
    "ExpiredToken": 403,
    "IncompleteSignature": 400,
    "InvalidAction": 400,
    "InvalidClientTokenId": 403,
    "MissingAuthenticationToken": 403,
    "PasswordChangeRequired": 403,
    "RequestExpired": 400,
    "ServiceFailure": 500,
    "SignatureDoesNotMatch": 403,
    "Throttling": 400,
    "ValidationError": 400,
}
"""HTTP statuses of AWS's common errors (IAM API Reference, "Common Errors"), for codes that
the service models do not list. These are AWS's numbers, keyed by AWS's codes, not the error
classes' `http_status` (which `/graphql` sends): AWS SDKs read these, and AWS differs (a
throttled or unsigned caller gets 400 or 403 here, 429 or 401 there)."""


class QueryApi:
    """The `/aws/` endpoint over one GraphQL schema (the app's)."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.schema = schema
        self._actions: dict[tuple[str, str], PreparedAction] | None = None

    @property
    def actions(self) -> dict[tuple[str, str], PreparedAction]:
        """Every action, prepared on first use, by (service, action name)."""
        if self._actions is None:
            self._actions = prepared_actions(self.schema)
        return self._actions

    async def handle(self, request: Request) -> Response:
        """Answer one Query request (never raises: errors are `ErrorResponse`s)."""
        request_id = current_request_id() or str(uuid.uuid4())
        model: ServiceModel | None = None
        try:
            header = request.headers.get("authorization")
            if header is None:
                raise MissingAuthenticationToken(UNSIGNED)
            if not sigv4.is_sigv4(header):
                raise IncompleteSignature(NOT_SIGV4)
            service = sigv4.signing_service(header)
            model = service_model(service) if service in SERVICES else None
            state = app_state(request)
            context = GatewayContext(request=request, response=None, state=state)
            auth = await state.authenticator.authenticate(
                request, source_ip=context.source_ip, services=SERVICES
            )
            context = GatewayContext(request=request, response=None, state=state, _auth=auth)
            form = await _form(request)
            assert service is not None
            assert model is not None
            prepared = self._action(service, model, form)
            data = await self._run(prepared, form, context)
            body = result_xml(model, prepared.action.name, data, request_id)
            return Response(body, media_type=XML, headers={"x-amzn-RequestId": request_id})
        except GatewayError as error:
            return error_response(model, error.code, error.message, request_id)
        except Exception:
            logger.exception("Unexpected error answering a Query API request")
            return error_response(model, "ServiceFailure", INTERNAL_ERROR_MESSAGE, request_id)

    def _action(self, service: str, model: ServiceModel, form: dict[str, str]) -> PreparedAction:
        name = form.get("Action")
        if not name:
            raise InvalidAction("The request must contain the parameter Action.")
        version = form.get("Version", model.api_version)
        prepared = self.actions.get((service, name))
        if prepared is None or version != model.api_version:
            raise InvalidAction(f"Could not find operation {name} for version {version}")
        return prepared

    async def _run(
        self, prepared: PreparedAction, form: dict[str, str], context: GatewayContext
    ) -> dict[str, Any]:
        model, action = prepared.model, prepared.action
        operation = model.operations[action.name]
        values = parse_members(model, operation.input, form) if operation.input else {}
        given = sorted(prepared.unsupported & set(values))
        if given:
            raise InvalidInput(
                f"The gateway does not support the parameter {given[0]} of {action.name}."
            )
        max_items = _max_items(values.get("MaxItems"))
        document = _choose(prepared, values)
        variables = {
            name: to_variable(values[name], kind, name)
            for name, kind in document.variables.items()
            if name in values
        }
        result = await self.schema.execute(
            document.text, variable_values=variables, context_value=context
        )
        if result.errors:
            raise _gateway_error(result.errors[0])
        data = flatten(dict(result.data or {}))
        if document is prepared.fallback and all(v is None for v in data.values()):
            raise ValidationError(NON_USER)
        if action.adapt is not None:
            data = flatten(
                action.adapt({_aws_name(model, operation.output, k): v for k, v in data.items()})
            )
        output = model.members(operation.output) if operation.output else {}
        if prepared.sliced:
            data = _slice(model, output, data, max_items, values.get("Marker"))
        if "IsTruncated" in output:
            data.setdefault("istruncated", False)
            if not data["istruncated"]:
                data.pop("marker", None)
        return data


_PREPARED: dict[tuple[Any, Any], dict[tuple[str, str], PreparedAction]] = {}
"""Prepared tables by the schema's root types. Schemas built from the same types (one per
app) prepare alike, and types are code: nothing ever invalidates an entry."""


def prepared_actions(schema: strawberry.Schema) -> dict[tuple[str, str], PreparedAction]:
    """Every action of the table, prepared against `schema` (ActionDefinitionError if one
    does not fit); prepared once per set of root types."""
    key = (schema.query, schema.mutation)
    prepared = _PREPARED.get(key)
    if prepared is None:
        graphql_schema = schema._schema
        prepared = {
            (action.service, action.name): prepare(
                action, graphql_schema, service_model(action.service)
            )
            for action in ACTIONS
        }
        _PREPARED[key] = prepared
    return prepared


def error_response(
    model: ServiceModel | None, code: str, message: str, request_id: str
) -> Response:
    """AWS's `ErrorResponse` for the gateway's error `code`, with AWS's HTTP status."""
    aws_code = AWS_CODES.get(code, code)
    status, sender = (None, True)
    for candidate in (model, *(service_model(s) for s in SERVICES)):
        if candidate is not None and aws_code in candidate.errors:
            status, sender = candidate.errors[aws_code]
            break
    if status is None:
        status = COMMON_STATUS.get(aws_code, 400)
        sender = status < 500
    return Response(
        error_xml(model, aws_code, message, request_id, sender=sender),
        status_code=status,
        media_type=XML,
        headers={"x-amzn-RequestId": request_id},
    )


async def _form(request: Request) -> dict[str, str]:
    """The request's parameters: the query string's, then the form body's."""
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    body = await request.body()
    try:
        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ValidationError("The request body must be form-encoded UTF-8.") from None
    return dict(pairs)


def _max_items(raw: Any) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(
            f"1 validation error detected: Value '{str(raw)[:50]}' at 'maxItems' failed to "
            "satisfy constraint: Member must be an integer"
        ) from None
    if not 1 <= value <= MAX_ITEMS:
        bound = "greater than or equal to 1" if value < 1 else f"less than or equal to {MAX_ITEMS}"
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
    return value


def _choose(prepared: PreparedAction, values: dict[str, Any]) -> Document:
    """The document to run: the fallback when the main one lacks a parameter it needs."""
    document = prepared.document
    missing = sorted(document.required - set(values))
    if missing and prepared.fallback is not None:
        return prepared.fallback
    if missing:
        name = missing[0]
        raise ValidationError(
            f"1 validation error detected: Value null at '{name[:1].lower()}{name[1:]}' failed "
            "to satisfy constraint: Member must not be null"
        )
    return document


def _gateway_error(error: GraphQLError) -> GatewayError:
    """A GraphQL error (already mapped by the schema) as the gateway error it carries."""
    code = str((error.extensions or {}).get("code", "ServiceFailure"))
    failure = GatewayError(error.message)
    failure.code = code
    return failure


def _aws_name(model: ServiceModel, shape: str | None, key: str) -> str:
    for member in model.members(shape) if shape else {}:
        if member.lower() == key:
            return member
    return key


def _slice(
    model: ServiceModel,
    output: dict[str, dict[str, Any]],
    data: dict[str, Any],
    max_items: int | None,
    marker: Any,
) -> dict[str, Any]:
    """One page of the output's lists (concatenated in AWS's member order)."""
    start = 0
    if marker is not None:
        found = _MARKER.fullmatch(str(marker))
        if found is None:
            raise InvalidInput("The Marker is not one this gateway gave.")
        start = int(found.group(1))
    size = max_items or 100
    lists = [
        member.lower()
        for member, spec in output.items()
        if model.shape(spec["shape"])["type"] == "list"
        and isinstance(data.get(member.lower()), list)
    ]
    items = [(name, item) for name in lists for item in data[name]]
    page = items[start : start + size]
    sliced = dict(data)
    for name in lists:
        sliced[name] = [item for owner, item in page if owner == name]
    truncated = start + size < len(items)
    sliced["istruncated"] = truncated
    if truncated:
        sliced["marker"] = f"{MARKER_PREFIX}{start + size}"
    return sliced
