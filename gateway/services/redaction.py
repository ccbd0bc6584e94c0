"""What of a request may go into the audit trail: never a password, secret, token, seed or code.

`request_parameters` keeps a call's arguments as CloudTrail's `requestParameters` does, except
that the value of any argument whose name says it is secret (`password`, `newPassword`,
`tokenCode`, `authenticationCode1`, `challenge`, …) is replaced by
`HIDDEN_DUE_TO_SECURITY_REASONS`, CloudTrail's own marker, and so is any text that looks like
one of the gateway's credentials (a `gws_` session token, a `gwc_` challenge) whatever the
argument's name. Booleans and numbers are kept (`passwordResetRequired: true` tells nothing).

`response_elements` keeps only ids and ARNs (`arn`, `…Id`, `…Arn`, `serialNumber`) and the
console outcome keys (`ConsoleLogin`, `SwitchRole`, `ExitRole`): whatever else a service puts
there, a secret cannot get through.

Text is kept storable: PostgreSQL's JSON refuses NUL, so NUL is written `\\u0000` as text;
parameters larger than CloudTrail's own limit (100 KB) are left out, as CloudTrail leaves
them out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
MAX_PARAMETERS_BYTES = 100 * 1024

_SECRET_NAME = re.compile(
    r"password|secret|token|seed|code|challenge|otpauth|qr|credential|private|authorization",
    re.IGNORECASE,
)
_SECRET_TEXT = re.compile(r"^\s*gw[a-z]_", re.IGNORECASE)
_ID_NAME = re.compile(r"^(arn|serialNumber|.*Id|.*Arn|ConsoleLogin|SwitchRole|ExitRole)$")


def secret_name(name: str) -> bool:
    """Whether an argument named `name` holds a secret (its value is never recorded)."""
    return bool(_SECRET_NAME.search(name))


def request_parameters(arguments: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`arguments` fit for `requestParameters` (see the module docstring); None when there are
    none, or when they are too large to record."""
    if not arguments:
        return None
    cleaned = {str(name): _clean(name, value) for name, value in arguments.items()}
    size = len(json.dumps(cleaned, separators=(",", ":"), default=str))
    return cleaned if size <= MAX_PARAMETERS_BYTES else None


def response_elements(elements: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ids and ARNs of `elements` (nested objects kept, their other keys dropped)."""
    if not elements:
        return None
    kept: dict[str, Any] = {}
    for key, value in elements.items():
        if isinstance(value, Mapping):
            nested = response_elements(value)
            if nested:
                kept[key] = nested
        elif isinstance(value, str) and _ID_NAME.match(key) and not _SECRET_TEXT.match(value):
            kept[key] = storable(value)
    return kept or None


def storable(text: str) -> str:
    """`text` with NUL written as the six characters `\\u0000` (PostgreSQL's JSON refuses NUL)."""
    return text.replace("\x00", "\\u0000")


def _clean(name: str, value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if secret_name(name):
        return HIDDEN
    if isinstance(value, str):
        return HIDDEN if _SECRET_TEXT.match(value) else storable(value)
    if isinstance(value, Mapping):
        return {str(key): _clean(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(name, item) for item in value]
    return storable(str(value))
