"""Random identifiers in AWS's formats.

IAM gives every entity a unique id besides its name: 21 characters, a 4-character prefix that
says what kind of entity it is, then 17 random upper-case letters and digits. A name can be
reused after deletion; a unique id never is, which is why policies and audit records that must
not follow a re-created namesake refer to the id.
"""

from __future__ import annotations

import secrets
import string

USER_PREFIX = "AIDA"
GROUP_PREFIX = "AGPA"
ROLE_PREFIX = "AROA"
POLICY_PREFIX = "ANPA"
ACCESS_KEY_PREFIX = "AKIA"
TEMPORARY_KEY_PREFIX = "ASIA"

PREFIXES = frozenset(
    {USER_PREFIX, GROUP_PREFIX, ROLE_PREFIX, POLICY_PREFIX, ACCESS_KEY_PREFIX, TEMPORARY_KEY_PREFIX}
)
"""The prefixes `new_unique_id` accepts."""

UNIQUE_ID_LENGTH = 21
ACCOUNT_ID_LENGTH = 12

_ALPHABET = string.ascii_uppercase + string.digits
_RANDOM_LENGTH = UNIQUE_ID_LENGTH - 4


def new_unique_id(prefix: str) -> str:
    """Return a new 21-character id such as `AIDA` + 17 random characters.

    Raises `ValueError` for a prefix that is not one of `PREFIXES`.
    """
    if prefix not in PREFIXES:
        raise ValueError(f"unknown unique-id prefix {prefix!r}; expected one of {sorted(PREFIXES)}")
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))


def new_account_id() -> str:
    """Return a new random 12-digit account id that does not start with 0."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def new_session_id() -> str:
    """A random 32-character session id (not the token: it identifies, never authenticates)."""
    return secrets.token_hex(16)
