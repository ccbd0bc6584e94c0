"""Who is calling: credentials in, `Principal` out, and nothing else.

`credentials` reads the `Authorization` header and picks a validator by its scheme: a bearer
session token (`sessions`, which also holds the cache of checked credentials and a session's
principal), a SigV4 signature (`sigv4` checks it, `signed_requests` finds the key that made
it) or the `GatewayKey` header (`access_keys`); `tokens` makes and hashes bearer tokens.

The operations that hand out credentials are services: sign-in, its MFA challenges, security
key assertions and lockout, GetSessionToken, AssumeRole and role switching
(`gateway.services.signin` and its neighbours). They import `tokens` and `sessions` from here;
this package imports from `gateway.services` only the principal and helpers it did before
(`principal`, `seeds`, `writes`, `access_keys`' secret hashing), never an operation.
"""
