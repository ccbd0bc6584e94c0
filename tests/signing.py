"""Signing requests as AWS clients do, with a signer nobody here wrote: botocore's `SigV4Auth`.

`Signer` is an httpx auth flow: each request is handed to botocore as an `AWSRequest` (method,
URL, body and content type), signed by `botocore.auth.SigV4Auth`, and sent with the headers
botocore added (`Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNED_BY_BOTOCORE = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


@dataclass(frozen=True)
class Key:
    """Credentials: an access key id and secret, and the session token of temporary ones."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def botocore(self) -> Credentials:
        """The same credentials as botocore holds them."""
        return Credentials(self.access_key_id, self.secret_access_key, self.session_token)


class Signer(httpx.Auth):
    """Signs every request with SigV4 for `service` in `region` (botocore's signer)."""

    requires_request_body = True

    def __init__(self, key: Key, *, service: str = "gateway", region: str = "us-east-1") -> None:
        self.key = key
        self.service = service
        self.region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {}
        if "content-type" in request.headers:
            headers["Content-Type"] = request.headers["content-type"]
        signed = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=headers
        )
        SigV4Auth(self.key.botocore(), self.service, self.region).add_auth(signed)
        for name in SIGNED_BY_BOTOCORE:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request
