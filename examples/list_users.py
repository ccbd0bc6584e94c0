"""List the account's users and check a permission, as a script: signed with an access key.

    GATEWAY_URL=http://127.0.0.1:8000 \
    GATEWAY_ACCESS_KEY_ID=AKIA… GATEWAY_SECRET_ACCESS_KEY=… \
    python examples/list_users.py [ACTION [RESOURCE]]

Every request is signed with AWS Signature Version 4 (service `gateway`, any region) by
botocore's signer, as AWS SDKs sign theirs, so the secret never travels (see the README,
"Scripts"); temporary credentials add `GATEWAY_SESSION_TOKEN`. The script prints who it is,
every user (following the connection's pages), and the gateway's decision for ACTION on
RESOURCE (default: iam:CreateUser on *). It needs httpx and botocore, which the gateway's
dev dependencies include.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Generator
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHO_AM_I = "{ whoAmI { arn } }"
USERS = """
query($after: String) {
  users(first: 50, after: $after) {
    nodes { userName arn }
    pageInfo { hasNextPage endCursor }
  }
}
"""
AUTHORIZE = """
query($action: String!, $resource: String!) {
  authorize(action: $action, resource: $resource) { effect }
}
"""


class SigV4(httpx.Auth):
    """Signs each request with SigV4 for the service `gateway` (botocore's signer)."""

    requires_request_body = True

    def __init__(self, credentials: Credentials, region: str = "us-east-1") -> None:
        self.credentials = credentials
        self.region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={"Content-Type": request.headers.get("content-type", "application/json")},
        )
        SigV4Auth(self.credentials, "gateway", self.region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


class GatewayError(Exception):
    """The gateway answered with errors."""


async def call(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """Run one GraphQL operation; its data, or GatewayError with the errors' messages."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if body.get("errors"):
        codes = ", ".join(
            f"{e.get('extensions', {}).get('code', '?')}: {e['message']}" for e in body["errors"]
        )
        raise GatewayError(codes)
    data: dict[str, Any] = body["data"]
    return data


async def all_users(client: httpx.AsyncClient) -> AsyncIterator[dict[str, str]]:
    """Every user of the account, page after page."""
    after = None
    while True:
        page = (await call(client, USERS, after=after))["users"]
        for user in page["nodes"]:
            yield user
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


async def main(action: str, resource: str) -> int:
    url = os.environ["GATEWAY_URL"]
    credentials = Credentials(
        os.environ["GATEWAY_ACCESS_KEY_ID"],
        os.environ["GATEWAY_SECRET_ACCESS_KEY"],
        os.environ.get("GATEWAY_SESSION_TOKEN"),
    )
    async with httpx.AsyncClient(base_url=url, auth=SigV4(credentials), timeout=30) as client:
        try:
            me = (await call(client, WHO_AM_I))["whoAmI"]
            print(f"caller: {me['arn']}")
            count = 0
            async for user in all_users(client):
                count += 1
                print(f"user: {user['userName']} {user['arn']}")
            print(f"users: {count}")
            decision = await call(client, AUTHORIZE, action=action, resource=resource)
            print(f"authorize {action} on {resource}: {decision['authorize']['effect']}")
        except GatewayError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    action = arguments[0] if arguments else "iam:CreateUser"
    resource = arguments[1] if len(arguments) > 1 else "*"
    sys.exit(asyncio.run(main(action, resource)))
