"""Verifying AWS Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 …`) on the server side.

A client (botocore, any AWS SDK) signs a request with its secret access key:

    Authorization: AWS4-HMAC-SHA256 Credential=AKIA…/20261204/us-east-1/iam/aws4_request,
                   SignedHeaders=content-type;host;x-amz-date, Signature=5d67…
    X-Amz-Date: 20261204T101500Z
    X-Amz-Security-Token: gws_…          (temporary credentials only)

The gateway recomputes the signature from the request as it arrived, following AWS's
specification ("Create a signed AWS API request", IAM User Guide): the canonical request
(method, URI-encoded path with dot segments removed, sorted query string, the signed headers'
trimmed values, SHA-256 of the body *as received*), the string to sign (algorithm, request
time, credential scope, hash of the canonical request) and the derived signing key
(HMAC-SHA256 chain over date, region, service and `aws4_request`), then compares the two in
constant time. The body's hash is always computed here, never taken from the client, so an
altered body never verifies.

This module is pure (no I/O): `parse` checks the header and the request time and says which
key signed; the caller looks the key up; `verify` checks the signature with its secret.
Errors are AWS's codes with AWS's messages:

- `IncompleteSignature`: a part of the header is missing ("Authorization header requires
  'Signature' parameter. … Authorization=…"), a pair is not `key=value`, `host` is not
  signed, or a signed header is absent from the request;
- `RequestExpired`: signed more than `MAX_SKEW` (5 minutes) before or after now, with AWS's
  "Signature expired: … is now earlier than … (… - 5 min.)". (AWS's Query services answer
  this with SignatureDoesNotMatch and a 15-minute window; the gateway keeps AppSync's 5
  minutes and the documented RequestExpired code.)
- `SignatureDoesNotMatch`: the credential scope names another service, a date other than the
  request's, a bad terminator, or the signature differs.

Any region is accepted (the gateway has none). Replays inside the 5 minutes are accepted, as
AWS accepts them: a signed request is bound to its body, path and time, not to one use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from gateway.errors import IncompleteSignature, RequestExpired, SignatureDoesNotMatch

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
MAX_ECHO = 1024
"""How much of a malformed header an error message quotes (it holds no secret)."""

_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"\d{8}")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as it reached the server: the raw (still percent-encoded) path and query
    string, every header with its name in lower case, and the body's bytes."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        """Every value of the header `name` (lower case), in order."""
        return [value for key, value in self.headers if key == name]


@dataclass(frozen=True, slots=True)
class SignedClaim:
    """What a well-formed SigV4 header claims: who signed, for which scope, and how."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    request_time: datetime
    amz_date: str
    security_token: str | None

    @property
    def scope(self) -> str:
        """The credential scope, `DATE/REGION/SERVICE/aws4_request`."""
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def is_sigv4(header: str) -> bool:
    """Whether an `Authorization` header uses the SigV4 scheme (compared ignoring case)."""
    return header.strip()[: len(ALGORITHM)].upper() == ALGORITHM and (
        len(header.strip()) == len(ALGORITHM) or header.strip()[len(ALGORITHM)].isspace()
    )


def signing_service(header: str) -> str | None:
    """The service named by a SigV4 header's credential scope, if it names one."""
    try:
        credential = _parameters(header).get("Credential", "")
    except IncompleteSignature:
        return None
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


def parse(
    request: HttpRequest, header: str, *, now: datetime, services: Collection[str]
) -> SignedClaim:
    """The claim of the SigV4 `Authorization` header `header`, checked for form, for its
    request time (within `MAX_SKEW` of `now`) and for a scope naming one of `services`.

    IncompleteSignature, RequestExpired or SignatureDoesNotMatch otherwise (see the module).
    """
    params = _parameters(header)
    dated = _request_time(request)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if dated is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise IncompleteSignature(" ".join(missing) + f" Authorization={_echo(header)}")
    assert dated is not None
    request_time, amz_date = dated

    key_id, date, region, service, terminator = _credential(params["Credential"], header)
    signed_headers = tuple(params["SignedHeaders"].split(";"))
    signature = params["Signature"]
    _check_time(request_time, amz_date, now)
    if terminator != TERMINATOR:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'."
        )
    if service not in services:
        expected = sorted(services)[0] if len(services) == 1 else "/".join(sorted(services))
        raise SignatureDoesNotMatch(
            f"Credential should be scoped to correct service: '{expected}'."
        )
    if date != amz_date[:8]:
        raise SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if "host" not in signed_headers:
        raise IncompleteSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    present = {name for name, _ in request.headers}
    for name in signed_headers:
        if name != name.lower() or not name:
            raise IncompleteSignature(
                f"Invalid SignedHeaders '{params['SignedHeaders']}': names must be lower case."
            )
        if name not in present:
            raise IncompleteSignature(
                f"'{name}' is named as a SignedHeader, but it does not exist in the HTTP request."
            )
    if list(signed_headers) != sorted(set(signed_headers)):
        raise IncompleteSignature(
            f"Invalid SignedHeaders '{params['SignedHeaders']}': names must be sorted and unique."
        )
    if not _SIGNATURE.fullmatch(signature):
        raise SignatureDoesNotMatch(SIGNATURE_MISMATCH)
    tokens = request.header_values("x-amz-security-token")
    return SignedClaim(
        access_key_id=key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=signature,
        request_time=request_time,
        amz_date=amz_date,
        security_token=tokens[0] if tokens else None,
    )


def verify(claim: SignedClaim, request: HttpRequest, secret: str) -> None:
    """Check the claim's signature with the key's secret; SignatureDoesNotMatch if it differs
    (compared in constant time)."""
    expected = signature_for(claim, request, secret)
    if not hmac.compare_digest(expected.encode(), claim.signature.encode()):
        raise SignatureDoesNotMatch(SIGNATURE_MISMATCH)


def signature_for(claim: SignedClaim, request: HttpRequest, secret: str) -> str:
    """The hex signature that `secret` gives this request under the claim's scope."""
    to_sign = string_to_sign(claim, canonical_request(request, claim.signed_headers))
    key = signing_key(secret, claim.date, claim.region, claim.service)
    return hmac.digest(key, to_sign.encode(), "sha256").hex()


def canonical_request(request: HttpRequest, signed_headers: Sequence[str]) -> str:
    """AWS's canonical request: method, canonical URI, canonical query string, canonical
    headers, signed headers and the body's SHA-256, one per line."""
    headers = "".join(
        f"{name}:{','.join(_trim(value) for value in request.header_values(name))}\n"
        for name in signed_headers
    )
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query(request.query),
            headers,
            ";".join(signed_headers),
            hashlib.sha256(request.body).hexdigest(),
        ]
    )


def canonical_uri(raw_path: str) -> str:
    """The path with dot segments and empty segments removed, URI-encoded once more (the
    rule for every service but S3)."""
    path = raw_path.split("?", 1)[0]
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normalized = "/" + "/".join(segments)
    if segments and path.endswith("/"):
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_query(raw_query: str) -> str:
    """The query string's parameters, each name and value percent-decoded and encoded again
    the RFC 3986 way, sorted by name then value."""
    if not raw_query:
        return ""
    pairs = []
    for item in raw_query.split("&"):
        name, _, value = item.partition("=")
        pairs.append((_uri_encode(unquote(name)), _uri_encode(unquote(value))))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def string_to_sign(claim: SignedClaim, canonical: str) -> str:
    """The string whose HMAC is the signature."""
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return "\n".join([ALGORITHM, claim.amz_date, claim.scope, digest])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The key derived from the secret for one day, region and service."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _uri_encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _trim(value: str) -> str:
    return " ".join(value.split())


def _echo(header: str) -> str:
    return header if len(header) <= MAX_ECHO else header[:MAX_ECHO] + "…"


def _parameters(header: str) -> dict[str, str]:
    """The `key=value` pairs after the algorithm; IncompleteSignature for a pair without `=`."""
    rest = header.strip()[len(ALGORITHM) :]
    params: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization "
                f"header: '{_echo(header)}'."
            )
        params[name.strip()] = value.strip()
    return params


def _credential(credential: str, header: str) -> tuple[str, str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts) or not _DATE.fullmatch(parts[1]):
        raise IncompleteSignature(
            "Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/"
            f"aws4_request, not '{credential}'. Authorization={_echo(header)}"
        )
    key_id, date, region, service, terminator = parts
    return key_id, date, region, service, terminator


def _request_time(request: HttpRequest) -> tuple[datetime, str] | None:
    """The request's signing time from X-Amz-Date (or else Date), and its ISO 8601 basic
    form; None if it has neither (IncompleteSignature for one that cannot be read)."""
    amz = request.header_values("x-amz-date")
    if amz:
        text = amz[0].strip()
        if not _AMZ_DATE.fullmatch(text):
            raise IncompleteSignature(
                f"Date must be in ISO-8601 'basic format'. Got '{text}'. See "
                "http://en.wikipedia.org/wiki/ISO_8601"
            )
        try:  # the regex fixed the layout: YYYYMMDDTHHMMSSZ
            moment = datetime(
                int(text[0:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[9:11]),
                int(text[11:13]),
                int(text[13:15]),
                tzinfo=UTC,
            )
        except ValueError:
            raise IncompleteSignature(
                f"Date must be in ISO-8601 'basic format'. Got '{text}'."
            ) from None
        return moment, text
    dates = request.header_values("date")
    if not dates:
        return None
    try:
        moment = parsedate_to_datetime(dates[0]).astimezone(UTC)
    except (TypeError, ValueError):
        raise IncompleteSignature(f"The Date header '{dates[0]}' cannot be read.") from None
    return moment, moment.strftime(AMZ_DATE_FORMAT)


def _check_time(request_time: datetime, amz_date: str, now: datetime) -> None:
    if now - MAX_SKEW <= request_time <= now + MAX_SKEW:
        return
    now_text = now.astimezone(UTC).strftime(AMZ_DATE_FORMAT)
    minutes = int(MAX_SKEW.total_seconds() // 60)
    if request_time < now - MAX_SKEW:
        earliest = (now - MAX_SKEW).astimezone(UTC).strftime(AMZ_DATE_FORMAT)
        raise RequestExpired(
            f"Signature expired: {amz_date} is now earlier than {earliest} "
            f"({now_text} - {minutes} min.)"
        )
    latest = (now + MAX_SKEW).astimezone(UTC).strftime(AMZ_DATE_FORMAT)
    raise RequestExpired(
        f"Signature not yet current: {amz_date} is still later than {latest} "
        f"({now_text} + {minutes} min.)"
    )
