"""Who is calling: credentials in, `Principal` out.

Sign-in and sessions, access keys (the `GatewayKey` scheme) and GetSessionToken.
"""
