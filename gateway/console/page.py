"""`GET /signin`: the sign-in page and, once signed in, a small account page.

The page signs a person in (account id or alias and user name, or the root user's e-mail,
then a password), takes the second factor (a code from an authenticator app, a security key
through WebAuthn, or a recovery code), asks for a new password when the old one expired or
must be reset, and then shows the person's identity, sessions (revoke), MFA devices (add an
authenticator app from its QR code, register a security key, remove one), a password change,
and the roles they may switch to, with a banner and "Switch back" while acting as one, as
AWS's console does.

It calls nothing but the public GraphQL API (`/graphql`), with the session token in the
page's memory only: never in a cookie or in web storage. So the API needs no cookie and no
CSRF defence (a request without the `Authorization` header the script sets is anonymous), and
a token leaves with the tab; the cost is that a reload signs the person out of the page (the
session itself lives on until it expires or is revoked from the Sessions list). The
Content-Security-Policy allows scripts, styles, fetches and images from the gateway alone
(images also as `data:` URIs, for the QR code), no inline script, and Trusted Types with no
policy, so the script cannot assign HTML strings to the DOM at all.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.config import Settings

STATIC_DIR = Path(__file__).parent / "static"
PATH = "/signin"
STATIC_PATH = "/signin/static"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)


def routes(settings: Settings) -> list[Route | Mount]:
    """The page's routes: the page itself and its script and style."""

    async def render(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        return HTMLResponse(
            page(
                endpoint=f"{root}/graphql",
                static=f"{root}{STATIC_PATH}",
                webauthn_origins=settings.webauthn_origins,
            ),
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-store",
            },
        )

    return [
        Route(PATH, render, methods=["GET"], name="signin"),
        Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="signin-static"),
    ]


def page(*, endpoint: str, static: str, webauthn_origins: tuple[str, ...]) -> str:
    """The page's HTML: every step is in it, the script shows one at a time."""
    attribute = html.escape
    origins = attribute(" ".join(webauthn_origins), quote=True)
    return (
        (STATIC_DIR / "signin.html")
        .read_text(encoding="utf-8")
        .format(
            endpoint=attribute(endpoint, quote=True),
            static=attribute(static, quote=True),
            webauthn_origins=origins,
        )
    )


__all__ = ["CONTENT_SECURITY_POLICY", "PATH", "page", "routes"]
