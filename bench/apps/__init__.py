"""Baseline ASGI apps for `bench/graphql_throughput.py`, each served by its own uvicorn.

| module:attribute | what it serves on `POST /graphql` |
| --- | --- |
| `apps.hello:stock_app` | stock Strawberry, schema `{ hello }` |
| `apps.hello:cached_app` | the same with Strawberry's `ParserCache` and `ValidationCache` |
| `apps.bare:app` | bare Starlette: a fixed JSON body, no GraphQL at all |

Every app also answers `GET /healthz` (readiness). Run one by hand with
`.venv/bin/python -m uvicorn --app-dir bench apps.hello:stock_app`.
"""
