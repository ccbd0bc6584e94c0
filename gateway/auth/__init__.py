"""Who is calling: credentials in, `Principal` out.

`credentials` reads the `Authorization` header and picks a validator by its scheme (session
tokens, SigV4 signatures in `sigv4`/`signed_requests`, the `GatewayKey` header); the other
modules hold sign-in, sessions, MFA challenges, GetSessionToken and AssumeRole.
"""
