"""The gateway's HTTP plumbing around the API: ASGI middleware, one concern per module, and the
endpoints for operators.

Outermost first, as `gateway.app.create_app` stacks them:

- `request_id`: every response carries `X-Request-ID` (the client's, if sane, else a new one).
- `security_headers`: `nosniff`, no referrer, no framing, a deny-all CSP unless the
  response brings its own.
- `cors`: Starlette's CORS middleware with the explicit origin list of the settings.
- `body_limit`: 413 for bodies over `Settings.max_body_bytes`, by Content-Length and by
  counting streamed bytes.

`metrics` holds the Prometheus registry behind `/metrics`; `health` answers `/healthz`
(liveness) and `/readyz` (database and migrations).
"""
