"""GraphQL over WebSocket (graphql-transport-ws, on `/graphql`), for subscriptions.

- The connection authenticates in `connection_init`, with the same credentials as HTTP: an
  `Authorization` entry in its payload (`Bearer <token>` or `GatewayKey <id>:<secret>`).
  Without valid ones the server closes the socket (4403 Forbidden); nothing is acknowledged.
- Handshakes from another site are refused (403) by Strawberry's origin check: allowed are
  the server's own origin and `GATEWAY_CORS_ORIGINS`; clients that send no Origin (scripts)
  are not browsers and pass.
- Only subscriptions run over the socket; queries and mutations go over HTTP, where the
  gateway's HTTP rules (limits, status codes) apply. Each subscription gets a context of its
  own (`GatewayContext.fresh`): its caller is proven again and nothing it decides is reused by
  another, so a session revoked since the socket opened cannot subscribe.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import CompleteMessage
from strawberry.utils.aio import aclosing

from gateway.graphql.context import GatewayContext

ONLY_SUBSCRIPTIONS = (
    "Only subscriptions are served over WebSocket; send queries and mutations as HTTP POST "
    "requests to /graphql."
)


class GatewayTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, subscriptions only, one fresh context per subscription."""

    async def run_operation(self, operation: Operation[Any, None]) -> None:
        """Run one subscription to its end (Strawberry's loop, with the operation's own
        context); refuse any other kind of operation with an `error` message."""
        if _kind(operation.query, operation.operation_name) not in (
            None,
            OperationType.SUBSCRIPTION,
        ):
            error = GraphQLError(ONLY_SUBSCRIPTIONS, extensions={"code": "BAD_REQUEST"})
            await operation.send_initial_errors([error])
            return
        context = self.context.fresh() if isinstance(self.context, GatewayContext) else self.context
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except _OperationStreamClosed:
            return
        except Exception as error:  # Strawberry's own handling of the unexpected, kept
            await self.handle_task_exception(error)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise


def _kind(query: str, operation_name: str | None) -> OperationType | None:
    """The operation's type, or None when the document cannot say (Strawberry reports that)."""
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return None
    return operation.operation if operation is not None else None
