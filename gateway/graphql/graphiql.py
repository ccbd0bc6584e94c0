"""GraphiQL served entirely by the gateway: no CDN, so it works without internet access.

The page (`GET /graphql` from a browser) loads React, ReactDOM and GraphiQL's UMD build from
`/graphiql/static/vendor/`, and starts GraphiQL with `/graphiql/static/graphiql.js`, under a
Content-Security-Policy that allows scripts, styles and connections to 'self' only. The
headers editor is open so a user can send `Authorization: Bearer <token>`; headers are not
persisted in the browser.

The vendor files are not in the repository: `scripts/install_graphiql.sh` (run by
`make install`) fetches pinned versions from the npm registry into `VENDOR_DIR`. Without them
the page explains how to install them.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
"""The gateway's own page files (committed) and, under `vendor/`, the installed ones."""
VENDOR_DIR = STATIC_DIR / "vendor"
STATIC_PATH = "/graphiql/static"

VENDOR_STYLES = ("graphiql.min.css",)
VENDOR_SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
VENDOR_FILES = (*VENDOR_STYLES, *VENDOR_SCRIPTS)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

INSTALL_HINT = "make install"


def missing_assets(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """The vendor files GraphiQL needs that are not installed."""
    return [name for name in VENDOR_FILES if not (vendor_dir / name).is_file()]


def static_files() -> Mount:
    """The route serving the page's scripts and styles."""
    return Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="graphiql-static")


def page(endpoint: str, static: str, missing: list[str]) -> str:
    """The HTML of the GraphiQL page, or of the notice saying what to install."""
    static = html.escape(static, quote=True)
    if missing:
        files = ", ".join(html.escape(name) for name in missing)
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL is not installed</title>
<link rel="stylesheet" href="{static}/graphiql.css">
</head>
<body>
<main class="gateway-notice">
<h1>GraphiQL is not installed</h1>
<p>The gateway serves GraphiQL's files itself, and they are missing ({files}).</p>
<p>Install them from the npm registry with <code>{INSTALL_HINT}</code>
(or <code>scripts/install_graphiql.sh</code>), then reload this page.</p>
<p>The API at <code>{html.escape(endpoint)}</code> works without them.</p>
</main>
</body>
</html>
"""
    styles = "\n".join(
        f'<link rel="stylesheet" href="{static}/vendor/{name}">' for name in VENDOR_STYLES
    )
    scripts = "\n".join(
        f'<script src="{static}/vendor/{name}"></script>' for name in VENDOR_SCRIPTS
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · gateway</title>
<link rel="icon" href="data:,">
{styles}
<link rel="stylesheet" href="{static}/graphiql.css">
</head>
<body>
<div id="graphiql" data-endpoint="{html.escape(endpoint, quote=True)}">Loading GraphiQL…</div>
{scripts}
<script src="{static}/graphiql.js"></script>
</body>
</html>
"""


async def render(request: Request) -> Response:
    """The GraphiQL page for `request` (503 with instructions if the files are missing)."""
    root = request.scope.get("root_path", "")
    missing = missing_assets()
    return HTMLResponse(
        page(request.url.path, f"{root}{STATIC_PATH}", missing),
        status_code=503 if missing else 200,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"},
    )


__all__ = ["CONTENT_SECURITY_POLICY", "VENDOR_DIR", "missing_assets", "render", "static_files"]
