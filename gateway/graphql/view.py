"""The GraphQL endpoint: Strawberry's ASGI view held to the GraphQL-over-HTTP spec, SHOULDs too.

The checks, in the order they run (request → status; the spec's clause in brackets):

- method other than GET/POST → 405, `Allow: GET, POST` [Request: GET and POST].
- GET without `query` asking for text/html, GraphiQL on → the IDE page.
- an Accept header naming no media type the server can produce → 406 [Body: 406
  RECOMMENDED].
- POST whose Content-Type is not `application/json` in UTF-8 (form, multipart, text, none)
  → 415 [POST: application/json; Security: only non-simple requests run, against CSRF].
- a body that is not UTF-8, not JSON, or nested too deep → 400 [JSON parsing failure].
- parameters of the wrong shape, no `query`, a batch (a list) → 400 [Invalid parameters].
- a mutation over GET → 405, `Allow: POST` [GET: mutations MUST NOT run].
- a subscription → a request error (400 / 200): subscriptions run over WebSocket only.
- a document that cannot be parsed, fails validation (limits included), has no operation to
  run, or variables that cannot be coerced → a request error: 400 in
  application/graphql-response+json, 200 in application/json [Document parsing failure,
  Document validation failure, Operation cannot be determined, Variable coercion failure].
- an executed operation, field errors or not → 200 [Field errors during execution]; except
  that an operation whose data is null because a field was `Throttled` (a locked sign-in)
  → its `http_status` (429) in application/graphql-response+json, and its `http_headers()`
  (`Retry-After`) in both media types.
- a `GatewayError` while building the context → the error class's `http_status` and
  `http_headers()` (`gateway.errors`), in application/graphql-response+json (200 in
  application/json): an `Authorization` header that is present but unusable (an unknown
  scheme, a bad or expired token, a SigV4 signature that does not hold) → 401, with
  `WWW-Authenticate` naming the accepted schemes; else 403, 429 or 400.
- anything unexpected → masked; 500 (200 in application/json).

Every body is a GraphQL response whose errors carry `extensions.code`; request errors have no
`data` entry. The media type is `application/graphql-response+json` when the client accepts it
(also for `*/*` and for a missing Accept header, the spec's rule since 2025-01-01), else
`application/json` (`gateway.graphql.negotiation`). Bodies over the size limit get 413 from
`gateway.http.body_limit`. Each request is reported once for the metrics
(`gateway.graphql.observation`). Recognized `authorize` and `authorizeAll` documents are
answered in front of the middleware by `gateway.graphql.lane`, which leaves to this view
every request it does not answer exactly as this view would.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from gateway.errors import GatewayError, Throttled
from gateway.graphql.errors import (
    INTERNAL_ERROR_MESSAGE,
    VALIDATION_FAILED,
    gateway_error_of,
    is_unexpected,
    to_client_error,
)
from gateway.graphql.negotiation import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    MediaTypeInLowerCase,
    content_type_refusal,
    negotiate,
)
from gateway.graphql.observation import Observer, OperationRecord, current_operation, observed
from gateway.graphql.websocket import GatewayTransportWSHandler
from gateway.http.body_limit import BodyTooLarge

logger = logging.getLogger("gateway.graphql.view")

SUBSCRIPTIONS_OVER_WEBSOCKET = (
    "Subscriptions are served over WebSocket (graphql-transport-ws) on /graphql, not over HTTP."
)
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a request body or `variables`."""

ContextGetter = Callable[[Request, Response], Awaitable[Any]]

_ENCODER = json.JSONEncoder(separators=(",", ":"))
"""Compact JSON, as Strawberry writes it; built once (`json.dumps` with separators builds an
encoder per call)."""


# --- refusals ----------------------------------------------------------------------------


class RequestRefused(Exception):
    """A request the view answers with an error response instead of running it."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        headers: dict[str, str] | None = None,
        *,
        request_error: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.request_error = request_error
        """A well-formed request that failed (application/json answers it with 200)."""


HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    """A GraphQL response without data holding one error."""
    return json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
        separators=(",", ":"),
    ).encode()


def error_response(
    status: int, message: str, code: str, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """An error response in `media_type`, never cached."""
    return Response(
        error_body(message, code),
        status_code=status,
        media_type=media_type,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


# --- the view ----------------------------------------------------------------------------


class _SubResponse(Response):
    """The response resolvers may touch (headers, status), knowing the negotiated media type."""

    media_type_choice: str = GRAPHQL_RESPONSE_JSON


class GatewayGraphQL(GraphQL[Any, None]):
    """The `/graphql` endpoint: HTTP as above, and subscriptions over WebSocket
    (`gateway.graphql.websocket`) from the origins in `allowed_origins` (and the server's own)."""

    graphql_transport_ws_handler_class = GatewayTransportWSHandler

    def __init__(
        self,
        schema: BaseSchema,
        *,
        context_getter: ContextGetter,
        graphiql: Callable[[Request], Awaitable[Response]] | None = None,
        observe: Observer | None = None,
        allowed_origins: Sequence[str] = (),
        www_authenticate: str = "Bearer",
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql is not None else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=allowed_origins,
        )
        self._context_getter = context_getter
        self._graphiql = graphiql
        self._observe = observe
        self._www_authenticate = www_authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await super().__call__(scope, receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - routes only send HTTP and WebSocket
            raise ValueError(f"Unsupported scope type {scope['type']!r}")
        with observed(self._observe) as record:
            response = await self._respond(Request(scope, receive), record)
        await response(scope, receive, send)

    async def _respond(self, request: Request, record: OperationRecord) -> Response:
        if request.method not in ("GET", "POST"):
            record.outcome = "rejected"
            return error_response(
                405,
                f"GraphQL requests use GET or POST, not {request.method}.",
                HTTP_CODES[405],
                APPLICATION_JSON,
                {"Allow": "GET, POST"},
            )
        if self._graphiql is not None and wants_graphiql(request):
            record.operation_type = "graphiql"
            return await self._graphiql(request)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            record.outcome = "rejected"
            return error_response(
                406,
                f"The response can only be {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}; "
                "the Accept header allows neither.",
                HTTP_CODES[406],
                APPLICATION_JSON,
            )
        request.state.graphql_media_type = media_type
        try:
            if request.method == "POST":
                self._check_content_type(request)
            return await self.run(request)
        except RequestRefused as refusal:
            record.outcome = "rejected"
            status = refusal.status
            if refusal.request_error and media_type == APPLICATION_JSON:
                status = 200
            return error_response(
                status, refusal.message, refusal.code, media_type, refusal.headers
            )
        except HTTPException as error:
            record.outcome = "rejected"
            return error_response(
                error.status_code,
                _sentence(error.reason),
                HTTP_CODES.get(error.status_code, "BAD_REQUEST"),
                media_type,
            )
        except GatewayError as error:  # raised while building the context (credentials)
            record.outcome = "rejected"
            return credentials_refusal(error, media_type, self._www_authenticate)
        except BodyTooLarge:
            record.outcome = "rejected"
            raise  # answered with 413 by the body-limit middleware
        except Exception:
            record.outcome = "failed"
            logger.exception("Unexpected error handling a GraphQL request")
            return error_response(
                500 if media_type == GRAPHQL_RESPONSE_JSON else 200,
                INTERNAL_ERROR_MESSAGE,
                "ServiceFailure",
                media_type,
            )

    @staticmethod
    def _check_content_type(request: Request) -> None:
        refusal = content_type_refusal(request.headers.get("content-type"))
        if refusal is not None:
            raise RequestRefused(415, refusal, HTTP_CODES[415])

    # --- Strawberry hooks ------------------------------------------------------------------

    async def get_context(self, request: Any, response: Any) -> Any:
        return await self._context_getter(request, response)

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket in `connection_init`, as HTTP requests are authenticated;
        refuse the connection (4403) otherwise."""
        try:
            await context.authenticated()
        except GatewayError as error:
            raise ConnectionRejectionError({"message": error.message, "code": error.code}) from None
        unset: UnsetType = UNSET
        return unset

    async def get_sub_response(self, request: Any) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.media_type_choice = getattr(
            request.state, "graphql_media_type", GRAPHQL_RESPONSE_JSON
        )
        request.state.graphql_sub_response = sub_response
        return sub_response

    def decode_json(self, data: str | bytes) -> object:
        """JSON from a body; anything that is not UTF-8 JSON of sane depth is a JSONDecodeError."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            value = json.loads(text)
        except UnicodeDecodeError as error:
            raise json.JSONDecodeError("the body is not valid UTF-8", "", error.start) from error
        except RecursionError as error:
            raise json.JSONDecodeError("the JSON is nested too deeply", "", 0) from error
        if _openings(text) > MAX_JSON_DEPTH and _depth_exceeds(value, MAX_JSON_DEPTH):
            raise json.JSONDecodeError(
                f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels", "", 0
            )
        return value

    def encode_json(self, data: object) -> str:
        """Compact JSON of a response body."""
        return _ENCODER.encode(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = self.decode_json(data)
        except json.JSONDecodeError as error:
            raise RequestRefused(
                400, f"The request is not valid JSON: {error.msg}.", HTTP_CODES[400]
            ) from error
        if not isinstance(value, (dict, list)):
            raise RequestRefused(400, "The request's JSON must be an object.", HTTP_CODES[400])
        return value

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        lowered: Any = MediaTypeInLowerCase(request)
        data = await super().parse_http_body(lowered)
        if isinstance(data, list):  # pragma: no cover - batching is off: refused above
            raise RequestRefused(400, "Batched requests are not supported.", HTTP_CODES[400])
        if not isinstance(data.operation_name, (str, type(None))):
            raise RequestRefused(
                400,
                "The GraphQL operation's `operationName` must be a string or null, if provided.",
                HTTP_CODES[400],
            )
        if data.query is None:
            raise RequestRefused(400, "No GraphQL query found in the request.", HTTP_CODES[400])
        return data

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as error:
            cause = error.__cause__
            if (
                isinstance(cause, InvalidOperationTypeError)
                and cause.operation_type is OperationType.SUBSCRIPTION
            ):
                raise RequestRefused(
                    400, SUBSCRIPTIONS_OVER_WEBSOCKET, HTTP_CODES[400], request_error=True
                ) from error
            if isinstance(cause, InvalidOperationTypeError):
                raise RequestRefused(
                    405,
                    "Mutations are only accepted in POST requests.",
                    HTTP_CODES[405],
                    {"Allow": "POST"},
                ) from error
            if isinstance(cause, CannotGetOperationTypeError):
                raise RequestRefused(
                    400, _sentence(error.reason), VALIDATION_FAILED, request_error=True
                ) from error
            if isinstance(cause, MissingQueryError):
                raise RequestRefused(
                    400, "No GraphQL query found in the request.", HTTP_CODES[400]
                ) from error
            raise

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        record = current_operation() or OperationRecord()
        # Normally done by the schema's GatewayErrors extension; errors raised where extensions
        # do not see them (a syntax error in ParserCache's hook) are mapped here.
        errors = [to_client_error(error) for error in result.errors or ()]
        formatted: GraphQLHTTPResponse = {}
        request_error = isinstance(result, PreExecutionError) or (
            result.data is None and bool(errors) and all(error.path is None for error in errors)
        )
        if not request_error:
            formatted["data"] = result.data
        if errors:
            formatted["errors"] = [error.formatted for error in errors]
        if result.extensions:
            formatted["extensions"] = result.extensions
        if request_error:
            failed = any(_was_masked(error) for error in errors)
            record.outcome = "failed" if failed else "rejected"
            sub_response: _SubResponse | None = getattr(request.state, "graphql_sub_response", None)
            if sub_response is not None and sub_response.media_type_choice == GRAPHQL_RESPONSE_JSON:
                sub_response.status_code = 500 if failed else 400
        elif errors:
            record.outcome = "error"
            _throttle(request, errors, data_is_null=result.data is None)
        return formatted

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = getattr(sub_response, "media_type_choice", GRAPHQL_RESPONSE_JSON)
        response = Response(self.encode_json(response_data), status_code=200, media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        response.headers.setdefault("Cache-Control", "no-store")
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def render_graphql_ide(self, request: Any) -> Response:  # pragma: no cover - unused
        assert self._graphiql is not None
        return await self._graphiql(request)


def _throttle(request: Any, errors: list[GraphQLError], *, data_is_null: bool) -> None:
    """The headers of the longest Throttled wait among a result's errors (`Retry-After`), and
    its status (429) when nothing else ran."""
    waits = [
        (seconds, found)
        for found in map(gateway_error_of, errors)
        if isinstance(found, Throttled) and (seconds := found.retry_after) is not None
    ]
    sub_response: _SubResponse | None = getattr(request.state, "graphql_sub_response", None)
    if not waits or sub_response is None:
        return
    _, longest = max(waits, key=lambda wait: wait[0])
    sub_response.headers.update(longest.http_headers())
    if data_is_null and sub_response.media_type_choice == GRAPHQL_RESPONSE_JSON:
        sub_response.status_code = longest.http_status


def credentials_refusal(error: GatewayError, media_type: str, www_authenticate: str) -> Response:
    """The answer to a request whose context could not be built (credentials that do not
    hold, a throttled caller): the error class's status and headers, a 401 naming the schemes
    the server accepts (`www_authenticate`, RFC 9110), 200 in application/json."""
    status = error.http_status
    headers = error.http_headers()
    if status == 401:
        headers["WWW-Authenticate"] = www_authenticate
    if media_type == APPLICATION_JSON:
        status = 200
    return Response(
        error_body(error.message, error.code, **error.extensions),
        status_code=status,
        media_type=media_type,
        headers={"Cache-Control": "no-store", **headers},
    )


def wants_graphiql(request: Request) -> bool:
    """A browser opening `/graphql`: GET without a query, asking for HTML."""
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


def _was_masked(error: GraphQLError) -> bool:
    return is_unexpected(error) or (error.extensions or {}).get("code") == "ServiceFailure"


def _sentence(reason: str) -> str:
    reason = reason.strip()
    return reason if reason.endswith(".") else f"{reason}."


def _openings(text: str) -> int:
    """How many arrays and objects `text` could open: a bound on the nesting of its JSON (the
    brackets inside strings count too), far cheaper to find than the nesting itself."""
    return text.count("[") + text.count("{")


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether arrays/objects in `value` nest deeper than `limit` (iterative: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


__all__ = ["ContextGetter", "GatewayGraphQL", "RequestRefused", "credentials_refusal"]
