"""Who is calling: credentials in, `Principal` out, and nothing else.

`credentials` reads the `Authorization` header and picks a validator by its scheme: a bearer
session token (`sessions`, which also holds the cache of checked credentials), a SigV4
signature (`sigv4` checks it, `signed_requests` finds the key that made it) or the
`GatewayKey` header (`access_keys`).

The operations that hand out credentials are services: sign-in, its MFA challenges, security
key assertions and lockout, GetSessionToken, AssumeRole and role switching
(`gateway.services.signin` and its neighbours). Layers import only the ones below, so what
both sides need lives in services: `gateway.services.bearer_tokens` makes and hashes bearer
tokens, `gateway.services.principal` turns a session row into its principal (`principal_of`)
and holds the invalid and expired token messages. This package imports from
`gateway.services` only those and a few helpers (`seeds`, `writes`, `access_keys`' secret
hashing), never an operation; nothing in `gateway.services` imports from here.
"""
