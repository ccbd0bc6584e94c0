"""Tags on IAM users, roles, managed policies and virtual MFA devices: AWS's rules, one place.

AWS lets you tag users, roles, customer-managed policies and MFA devices (not groups). The
rules are the same for every kind, and so are the answers here:

- a request carries at most `MAX_TAGS` tags, or tag keys to remove: ValidationError "Member
  must have length less than or equal to 50" (the API's list constraint);
- a key has 1 to 128 characters, a value 0 to 256, both of `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`:
  ValidationError with AWS's length or pattern message;
- a key may not begin with `aws:` (in any case), a prefix AWS reserves: InvalidInput;
- keys compare ignoring case: two keys of one request that differ at most in case, or are
  equal, are InvalidInput "Duplicate tag keys found…";
- tagging replaces the tags with the same key (ignoring case; the new key's case wins), and
  an entity holds at most `MAX_TAGS` tags afterwards: LimitExceeded;
- untagging a key the entity lacks is no error.

Requests give tags as key/value pairs (`TagsIn`), so that a key repeated in one request is
refused rather than silently collapsed into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from gateway.errors import InvalidInput, LimitExceeded
from gateway.services.validation import check_length, violation

MAX_TAGS = 50
"""Tags on one entity, and tags or tag keys in one request, at most (AWS's quota)."""
MAX_KEY = 128
MAX_VALUE = 256
RESERVED_PREFIX = "aws:"
KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"

_KEY = re.compile(r"[\w\s.:/=+\-@]+")
_VALUE = re.compile(r"[\w\s.:/=+\-@]*")

TagsIn = Mapping[str, str] | Sequence[tuple[str, str]]
"""Tags as a request gives them: key/value pairs (or a mapping, whose keys are distinct)."""

DUPLICATE_KEYS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
RESERVED_KEY = (
    "Tag keys cannot begin with the text aws:. This tag prefix is reserved for AWS internal use."
)


def too_many_tags() -> LimitExceeded:
    """AWS's LimitExceeded for an entity that would hold more than `MAX_TAGS` tags."""
    return LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")


def _pairs(tags: TagsIn) -> list[tuple[str, str]]:
    return list(tags.items()) if isinstance(tags, Mapping) else list(tags)


def _check_count(items: Sequence[object], field: str) -> None:
    if len(items) > MAX_TAGS:
        shown = [
            f"{{Key: {item[0]},Value: {item[1]}}}" if isinstance(item, tuple) else str(item)
            for item in items
        ]
        value = "[" + ", ".join(shown) + "]"
        raise violation(value, field, f"Member must have length less than or equal to {MAX_TAGS}")


def _check_key(key: str, field: str) -> None:
    check_length(key, field, maximum=MAX_KEY)
    if not _KEY.fullmatch(key):
        raise violation(
            key, field, f"Member must satisfy regular expression pattern: {KEY_PATTERN}"
        )


def checked(tags: TagsIn) -> dict[str, str]:
    """The tags of a request, as a mapping, if they follow AWS's rules (module docstring);
    else the first broken rule's error, in the order: count, each tag's key and value,
    reserved prefix, duplicates."""
    pairs = _pairs(tags)
    _check_count(pairs, "tags")
    for key, value in pairs:
        _check_key(key, "tags.member.key")
        check_length(value, "tags.member.value", minimum=0, maximum=MAX_VALUE)
        if not _VALUE.fullmatch(value):
            raise violation(
                value,
                "tags.member.value",
                f"Member must satisfy regular expression pattern: {VALUE_PATTERN}",
            )
    if any(key.lower().startswith(RESERVED_PREFIX) for key, _ in pairs):
        raise InvalidInput(RESERVED_KEY)
    if len({key.lower() for key, _ in pairs}) != len(pairs):
        raise InvalidInput(DUPLICATE_KEYS)
    return dict(pairs)


def checked_keys(tag_keys: Sequence[str]) -> list[str]:
    """The tag keys of an untag request, if there are at most `MAX_TAGS` of them and each is
    a well-formed key; else AWS's ValidationError."""
    _check_count(tag_keys, "tagKeys")
    for key in tag_keys:
        _check_key(key, "tagKeys.member")
    return list(tag_keys)


def merged(existing: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """`existing` with `new` added, replacing the tags whose key matches ignoring case (the new
    key's case wins); LimitExceeded past `MAX_TAGS`. `new` must have passed `checked`."""
    replaced = {key.lower() for key in new}
    kept = {key: value for key, value in existing.items() if key.lower() not in replaced}
    result = {**kept, **new}
    if len(result) > MAX_TAGS:
        raise too_many_tags()
    return result


def without(existing: Mapping[str, str], tag_keys: Iterable[str]) -> dict[str, str]:
    """`existing` less the tags whose key matches one of `tag_keys` ignoring case."""
    removed = {key.lower() for key in tag_keys}
    return {key: value for key, value in existing.items() if key.lower() not in removed}
