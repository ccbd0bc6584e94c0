"""Bearer session tokens: random, shown once, stored only as a hash.

Sign-in, GetSessionToken, AssumeRole and role switching make them; `gateway.auth.sessions`
checks them. `hash_token` also hashes MFA challenge tokens and the credential cache's keys.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "gws_"


def new_token() -> str:
    """A fresh, unguessable session token (256 bits of randomness)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token.

    A token carries 256 random bits, so a single SHA-256 is enough: unlike a password it
    cannot be guessed, and lookups stay one indexed equality per request.
    """
    return hashlib.sha256(token.encode()).hexdigest()
