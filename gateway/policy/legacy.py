"""IAM's older checks on Resource strings and condition values, with AWS's exact messages.

AWS runs these before most of its other checks ("The policy failed legacy parsing") and
reports a Resource it cannot accept only after checking that every statement has actions. The
rules and their odd corners (a string that is not an ARN at all still has its second field
named as the partition; the first field is never checked) are those that moto reproduces in
`moto/iam/policy_validation.py`, whose test cases were checked against AWS.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

LEGACY_ERROR = "The policy failed legacy parsing"
VENDOR_REGEX_ERROR = "Resource vendor must be fully qualified and cannot contain regexes."
PARTITIONS = frozenset(
    ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
)
IAM_PATHS = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
IAM_PATH_ERROR = f'IAM resource path must either be "*" or start with {", ".join(IAM_PATHS)}.'
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")
_MAX_EPOCH = 9223372036854775807


class LegacyParseError(ValueError):
    """A value AWS's legacy parser refuses; reported as LEGACY_ERROR."""


def resource_error(resource: str) -> str | None:
    """AWS's message for a Resource string it refuses, or None when the format is accepted
    (the legacy checks in `check_resource_legacy` come after)."""
    if resource == "*":
        return None
    _, colon, rest = resource.partition(":")
    if not colon:
        return f'Resource {resource} must be in ARN format or "*".'
    partition, colon, rest = rest.partition(":")
    if partition != "*" and partition not in PARTITIONS:
        fields = rest.split(":")
        service = fields[0] if fields[0] != "" or len(fields) > 1 else "*"
        region = fields[1] if len(fields) > 1 else "*"
        account = fields[2] if len(fields) > 2 else "*"
        path = ":".join(fields[3:]) if len(fields) > 3 else "*"
        return (
            f'Partition "{partition}" is not valid for resource '
            f'"arn:{partition}:{service}:{region}:{account}:{path}".'
        )
    if not colon:
        return VENDOR_REGEX_ERROR
    service, _, after_service = rest.partition(":")
    if service and not _VENDOR.fullmatch(service):
        return VENDOR_REGEX_ERROR
    region, _, after_region = after_service.partition(":")
    _, _, path = after_region.partition(":")
    # Region information is anything but an empty region field (nothing after the service
    # counts as information too). A region of "*" is let through: moto's cases never try it,
    # and policies written as `arn:aws:iam:*:…` were accepted here before.
    if not after_service.startswith(":") and region != "*":
        if service == "iam":
            return f"IAM resource {resource} cannot contain region information."
        if service == "s3" and not path.startswith("accesspoint/"):
            return f"Resource {resource} can not contain region information."
    if service == "iam" and path != "*" and not path.startswith(IAM_PATHS):
        return IAM_PATH_ERROR
    return None


def resource_passes_legacy_parsing(resource: str) -> bool:
    """AWS's legacy parser accepts the string (checked only while no Resource was refused)."""
    if resource == "*":
        return True
    if resource.count(":") < 5 and "::" in resource:
        return False
    fields = resource.split(":")
    return len(fields) > 2 and fields[2] != ""


def check_condition_values(operator_base: str, values: Any) -> None:
    """Raise LegacyParseError when a Date or Numeric condition holds a value AWS cannot read."""
    items = values if isinstance(values, list) else [values]
    if operator_base.startswith("Date"):
        for value in items:
            _check_date(_text(value))
    elif operator_base.startswith("Numeric"):
        for value in items:
            _check_number(_text(value))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_number(text: str) -> None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError) as error:
        raise LegacyParseError(text) from error
    if not number.is_finite():
        raise LegacyParseError(text)


def _check_date(text: str) -> None:
    """ISO 8601 (a `t` or `-` in it) within Java's date range, or epoch seconds."""
    try:
        if "t" in text.lower() or "-" in text:
            _check_iso_8601(text.lower())
        elif not 0 <= int(text) <= _MAX_EPOCH:
            raise LegacyParseError(text)
    except ValueError as error:
        raise LegacyParseError(text) from error


def _check_iso_8601(text: str) -> None:
    date, _, time = text.partition("t")
    negative = date.startswith("-")
    parts = (date[1:] if negative else date).split("-")
    year = int(("-" if negative else "") + parts[0])
    _require(-292275054 <= year <= 292278993)
    if len(parts) > 1:
        _require(1 <= int(parts[1]) <= 12)
    if len(parts) > 2:
        _require(1 <= int(parts[2]) <= 31)
    _require(len(parts) < 4)
    clock = time.split(":")
    if clock[0] != "":
        _require(0 <= int(clock[0]) <= 23)
    if len(clock) > 1:
        _require(0 <= int(clock[1]) <= 59)
    if len(clock) > 2:
        _check_seconds(clock[2:])


def _check_seconds(rest: list[str]) -> None:
    seconds = rest[0]
    zone_minutes = rest[1] if len(rest) > 1 else None
    if "z" in seconds:
        seconds, _, after = seconds.partition("z")
        _require(after == "")
    elif "+" in seconds:
        seconds, _, hours = seconds.partition("+")
        _require(len(hours) == 2 and 0 <= int(hours) <= 23)
        if zone_minutes is not None:
            _require(len(zone_minutes) == 2 and 0 <= int(zone_minutes) <= 59)
    whole, dot, fraction = seconds.partition(".")
    _require(0 <= int(whole) <= 59)
    if dot:
        _require(0 <= int(fraction) <= 999999999)


def _require(condition: bool) -> None:
    if not condition:
        raise LegacyParseError("out of range")
