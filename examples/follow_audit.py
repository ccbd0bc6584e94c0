"""Follow the audit trail live, as a script: the `auditEvents` subscription over WebSocket.

    GATEWAY_URL=http://127.0.0.1:8000 \
    GATEWAY_ACCESS_KEY_ID=AKIA… GATEWAY_SECRET_ACCESS_KEY=… \
    python examples/follow_audit.py ['iam:Create*'] [--count N]

It connects to `/graphql` with `gql`'s websockets transport (graphql-transport-ws),
authenticates in `connection_init` with the same `Authorization` value as HTTP requests
(`GatewayKey <id>:<secret>`, or `Bearer <token>` from GATEWAY_TOKEN), and prints one line per
event as it is committed, on any replica: time, who, what, outcome. The optional argument
filters on the action (exact, or a prefix ending in `*`); `--count N` stops after N events.
It needs `gql[websockets]`, which the gateway's dev dependencies include.
"""

from __future__ import annotations

import asyncio
import os
import sys

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

FOLLOW = """
subscription($filter: AuditEventFilter) {
  auditEvents(filter: $filter) {
    eventTime eventSource eventName errorCode
    userIdentity { arn }
  }
}
"""


def credential() -> str:
    """The `Authorization` value from the environment."""
    token = os.environ.get("GATEWAY_TOKEN")
    if token:
        return f"Bearer {token}"
    key_id, secret = os.environ["GATEWAY_ACCESS_KEY_ID"], os.environ["GATEWAY_SECRET_ACCESS_KEY"]
    return f"GatewayKey {key_id}:{secret}"


async def follow(action: str | None, count: int | None) -> None:
    """Print events until `count` have come (or forever)."""
    url = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
    ws = url.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/graphql"
    transport = WebsocketsTransport(url=ws, init_payload={"Authorization": credential()})
    variables = {"filter": {"action": action}} if action else {}
    seen = 0
    async with Client(transport=transport) as session:
        print("following the audit trail", flush=True)
        async for result in session.subscribe(GraphQLRequest(FOLLOW, variable_values=variables)):
            event = result["auditEvents"]
            outcome = event["errorCode"] or "OK"
            print(
                f"{event['eventTime']}  {event['userIdentity']['arn']}  "
                f"{event['eventSource']} {event['eventName']}  {outcome}",
                flush=True,
            )
            seen += 1
            if count is not None and seen >= count:
                return


def main(argv: list[str]) -> int:
    count = None
    if "--count" in argv:
        at = argv.index("--count")
        count = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    asyncio.run(follow(argv[0] if argv else None, count))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
