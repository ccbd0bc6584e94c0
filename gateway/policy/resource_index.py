"""Statements indexed by the resources they name, so a decision looks only at the few whose
Resource element can match the request.

A Resource pattern is placed by what every resource it matches must share with it:

- all literal (`arn:aws:s3:::b/k`): the resource itself, in a dict;
- its literal prefix (the text before the first wildcard or policy variable) covers the ARN's
  head (`arn:aws:s3:::`, `arn:aws:dynamodb:us-east-1:123456789012:`): the prefix itself, found
  through the head and the first segment of the resource part up to its first `/` or `:`
  (`arn:aws:s3:::bucket-17/`), which give the lengths of the prefixes that start so, or, when
  the prefix ends inside that segment (`bucket-1?/*`), looked up by its length;
- its prefix covers only `arn:partition:service:` (region or account wildcards): the service's
  name (the resource's third field), then the text after the last `/` or `:` of the literal
  suffix after the last wildcard (`t-5` for `arn:aws:dynamodb:*:123456789012:table/t-5`), or,
  when the pattern ends in a wildcard (`arn:aws:logs:*:123456789012:log-group:/app/svc-5:*`),
  its last literal token written between two separators (`svc-5`), looked up by each token of
  the resource;
- anything else (`*`, NotResource, a wildcard in the partition) is examined on every request.

Each key is a necessary condition for a match (a resource that starts with the prefix has the
same head and first segment; one that ends with the suffix has the same text after its last
separator; one that contains `/svc-5:` has `svc-5` among its separator-delimited tokens,
wherever the wildcards before it end), so the index never hides a statement that applies;
the pattern itself is then tested once per request, however many statements share it, unless
it is its literal prefix and one `*` (`arn:aws:s3:::bucket-17/*`): every resource found by
that prefix matches it, so its statements apply without a test.
Policy variables are resolved per request by the pattern's test; the index uses only the
literal text around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from gateway.policy.matching import Matcher, glob_matcher
from gateway.policy.variables import Literal, Template, Wildcard

_SEPARATORS = (":", "/")
_TOKENS = re.compile(r"[:/]")
# Splitting a resource into tokens costs about as much as testing this many patterns, so
# fewer token-placed patterns are tested directly.
_TOKEN_INDEX_MIN = 8
# Up to this many distinct patterns, testing each costs less than finding their buckets.
_FLAT_LIMIT = 6


class _Request(Protocol):
    resource: str


class Indexable(Protocol):
    """What the index needs of a compiled statement."""

    order: int
    resources: tuple[Template, ...] | None
    not_resource: bool

    def resource_test(self, request: Any) -> bool:
        """The statement's whole Resource/NotResource test."""


S = TypeVar("S", bound=Indexable)
U = TypeVar("U")
B = TypeVar("B")
K = TypeVar("K")
V = TypeVar("V")

PatternTest = Callable[[Any], bool]
"""Whether one Resource pattern matches a request (its variables resolved for it)."""
TestFactory = Callable[[Template], PatternTest]


class _Group(Generic[U]):
    """One distinct Resource pattern and the units of the statements that list it.

    A pattern without variables keeps its matcher on the resource itself (`match`), so a
    request costs one call rather than a test that calls the matcher. Groups are made whole
    and shared through `Shared` by every index that reaches the same units by the same
    pattern."""

    __slots__ = ("match", "test", "units")

    def __init__(self, test: PatternTest, match: Matcher | None, units: tuple[U, ...]) -> None:
        self.test = test
        self.match = match
        self.units = units


Bucket = tuple[_Group[U], ...]
Keyed = tuple[tuple[U, ...], Bucket[U]]
"""The units sure to apply to a resource that has a key, and the groups still to test."""


class Shared(Generic[U]):
    """What the indexes of one set of policies share, so that the many actions' indexes of
    a large principal reach one object per distinct pattern, group, bucket and tuple of units
    (a decision then touches a few thousand of them rather than tens of thousands spread over
    the heap).

    Only construction reads these dicts; each is emptied when it reaches `limit` entries,
    which costs sharing, never correctness."""

    __slots__ = ("buckets", "groups", "limit", "patterns", "texts", "unit_tuples")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.patterns: dict[str, tuple[PatternTest, Matcher | None]] = {}
        self.groups: dict[tuple[str, tuple[U, ...]], _Group[U]] = {}
        self.buckets: dict[Bucket[U], Bucket[U]] = {}
        self.texts: dict[str, str] = {}
        self.unit_tuples: dict[tuple[U, ...], tuple[U, ...]] = {}

    def kept(self, table: dict[K, V], key: K, make: Callable[[K], V]) -> V:
        """`table[key]`, made as `make(key)` the first time (the table emptied first when it
        holds `limit` entries)."""
        found = table.get(key)
        if found is None:
            if len(table) >= self.limit:
                table.clear()
            found = table[key] = make(key)
        return found

    def text(self, text: str) -> str:
        """An equal string, one per distinct text: the indexes' keys (segments, prefixes,
        suffixes, resources) are then the same objects in every index, and a lookup that
        compares a key reads one the other indexes keep in cache."""
        return self.kept(self.texts, text, _itself)

    def units(self, units: tuple[U, ...]) -> tuple[U, ...]:
        """An equal tuple of these units, one per distinct content."""
        return self.kept(self.unit_tuples, units, _itself)

    def pattern(
        self, template: Template, make_test: TestFactory
    ) -> tuple[PatternTest, Matcher | None]:
        """The pattern's test and static matcher, made on first sight."""
        return self.kept(
            self.patterns,
            template.source,
            lambda _: (make_test(template), _static_matcher(template)),
        )

    def group(self, template: Template, make_test: TestFactory, units: tuple[U, ...]) -> _Group[U]:
        """The group of this pattern and these units."""
        return self.kept(
            self.groups,
            (template.source, units),
            lambda _: _Group[U](*self.pattern(template, make_test), units),
        )

    def bucket(self, groups: list[_Group[U]]) -> Bucket[U]:
        """An equal tuple of these groups, one per distinct content."""
        return self.kept(self.buckets, tuple(groups), _itself)


def _itself(value: K) -> K:
    return value


class _Tails(Generic[B]):
    """Patterns keyed by the text after the last separator of their literal suffix, or by a
    literal token they hold between two separators."""

    __slots__ = ("rest", "tails", "token_lengths", "tokens")

    def __init__(self, tails: dict[str, B], tokens: dict[str, B], rest: B) -> None:
        self.tails = tails
        self.tokens = tokens
        self.rest = rest
        # A resource's tokens of other lengths are not looked up: most are not keys, and
        # `len` and a set's `in` cost a fraction of a dict's `get`.
        self.token_lengths = frozenset(map(len, tokens))


class _Prefixes(Generic[B]):
    """Patterns whose literal prefix covers an ARN head, by that whole prefix (`keyed`). When
    the prefix holds the resource part's first segment (`…:::bucket-17/reports/`), `segments`
    gives per head and first segment (`…:::bucket-17/`) the lengths of such prefixes; when it
    ends inside that segment (`…:::bucket-1`), its length is among `partial_lengths`. A
    request's resource then costs one look-up for its segment and one per length, in flat
    dicts keyed by text from the resource's start, so that a decision follows few objects.

    Once built, each prefix gives a `Keyed` pair: the units of the patterns that are that
    prefix and one `*` (`arn:aws:s3:::bucket-17/*`), which every resource with the prefix
    matches, so that they need no test, and the bucket of the other patterns."""

    __slots__ = ("keyed", "partial_lengths", "segments")

    def __init__(
        self, keyed: dict[str, B], segments: dict[str, tuple[int, ...]], partial: tuple[int, ...]
    ) -> None:
        self.keyed = keyed
        self.segments = segments
        self.partial_lengths = partial


# While an index is built, its slots list patterns; then each list becomes a shared bucket.
_Placed = list[Template]


class ResourceIndex(Generic[S, U]):
    """The statements of one candidate list (one action) by resource, as units: the caller
    decides how the statements behind one key are grouped (by shared conditions, say)."""

    __slots__ = (
        "always",
        "exact",
        "flat",
        "loose",
        "negated",
        "partial_lengths",
        "prefixed",
        "segments",
        "services",
    )

    def __init__(
        self,
        statements: Sequence[S],
        shared: Shared[U],
        make_test: TestFactory,
        make_units: Callable[[list[S]], tuple[U, ...]],
    ) -> None:
        """`shared` keeps the patterns, groups, buckets and key texts common to the indexes of
        one set of policies; `make_test` builds a pattern's test the first time it is seen."""
        always: list[S] = []
        negated: list[tuple[Callable[[Any], bool], U]] = []
        exact: dict[str, list[S]] = {}
        prefixes = _Prefixes[_Placed]({}, {}, ())
        services: dict[str, _Tails[_Placed]] = {}
        loose: _Placed = []
        listing: dict[str, tuple[Template, list[S]]] = {}
        for statement in statements:
            resources = statement.resources
            if resources is None or (
                not statement.not_resource and any(t.source == "*" for t in resources)
            ):
                always.append(statement)
                continue
            if statement.not_resource:
                for unit in make_units([statement]):
                    negated.append((statement.resource_test, unit))
                continue
            for template in resources:
                if not template.has_variables and all(
                    isinstance(p, Literal) for p in template.parts
                ):
                    listed = exact.setdefault(template.source, [])
                else:
                    entry = listing.get(template.source)
                    if entry is None:
                        entry = listing[template.source] = (template, [])
                        _slot(prefixes, services, loose, template).append(template)
                    listed = entry[1]
                if not listed or listed[-1] is not statement:
                    listed.append(statement)
        # Tuples rather than lists: one object each, not a list and its separate item array
        # (and, when empty, the one shared empty tuple, which stays in cache).
        self.negated = tuple(negated)
        self.always = make_units(always)
        text = shared.text
        self.exact = {text(resource): make_units(listed) for resource, listed in exact.items()}
        groups = {
            source: shared.group(template, make_test, make_units(listed))
            for source, (template, listed) in listing.items()
        }

        def bucket(placed: _Placed) -> Bucket[U]:
            return shared.bucket([groups[template.source] for template in placed])

        def buckets(placed: dict[str, _Placed]) -> dict[str, Bucket[U]]:
            return {text(key): bucket(listed) for key, listed in placed.items()}

        def keyed(placed: dict[str, _Placed]) -> dict[str, Keyed[U]]:
            return {
                text(key): (
                    shared.units(
                        tuple(
                            dict.fromkeys(
                                unit
                                for template in listed
                                if _prefix_and_star(template)
                                for unit in groups[template.source].units
                            )
                        )
                    ),
                    bucket([t for t in listed if not _prefix_and_star(t)]),
                )
                for key, listed in placed.items()
            }

        self.flat = bucket([t for t, _ in listing.values()]) if len(groups) <= _FLAT_LIMIT else None
        self.prefixed = keyed(prefixes.keyed)
        self.segments = {text(key): lengths for key, lengths in prefixes.segments.items()}
        self.partial_lengths = prefixes.partial_lengths
        self.loose = bucket(loose) if loose else None
        self.services = {}
        for key, tails in services.items():
            rest = tails.rest
            tokens = tails.tokens
            if sum(map(len, tokens.values())) < _TOKEN_INDEX_MIN:
                rest = rest + [t for placed in tokens.values() for t in placed]
                tokens = {}
            self.services[text(key)] = _Tails[Bucket[U]](
                buckets(tails.tails), buckets(tokens), bucket(rest)
            )

    def units(self, request: _Request) -> list[U]:
        """The units whose statements' Resource or NotResource covers the request's resource
        (a statement listing several matching resources may be in more than one)."""
        resource = request.resource
        found = [*self.always]
        if self.negated:
            for test, unit in self.negated:
                if test(request):
                    found.append(unit)
        exact = self.exact.get(resource)
        if exact is not None:
            found += exact
        flat = self.flat
        if flat is not None:
            buckets = [flat]
        else:
            # The buckets of patterns that may match, found here rather than by a method of
            # their own: a call costs as much as a few of the look-ups below.
            loose = self.loose
            buckets = [] if loose is None else [loose]
            fields = resource.split(":", 5)
            if len(fields) >= 4:
                if len(fields) == 6 and self.prefixed:
                    rest = fields[5]
                    prefixed = self.prefixed
                    if self.segments:
                        # The first separator in the resource part, without `find`, which
                        # parses its arguments as a tuple before Python 3.12: few resource
                        # parts hold a colon, and `in` and `partition` cost a fraction.
                        if ":" in rest:
                            cut = _first_separator(rest)
                        else:
                            segment, slash, _ = rest.partition("/")
                            cut = len(segment) if slash else -1
                        if cut >= 0:
                            lengths = self.segments.get(
                                resource[: len(resource) - len(rest) + cut + 1]
                            )
                            if lengths is not None:
                                for length in lengths:
                                    keyed = prefixed.get(resource[:length])
                                    if keyed is not None:
                                        found += keyed[0]
                                        if keyed[1]:
                                            buckets.append(keyed[1])
                    for length in self.partial_lengths:
                        keyed = prefixed.get(resource[:length])
                        if keyed is not None:
                            found += keyed[0]
                            if keyed[1]:
                                buckets.append(keyed[1])
                tails = self.services.get(fields[2])
                if tails is not None:
                    if tails.rest:
                        buckets.append(tails.rest)
                    if tails.tails:
                        # The text after the last separator: after the last field's last
                        # slash, and after a colon there (only the sixth field can hold one).
                        tail = fields[-1].rpartition("/")[2]
                        if ":" in tail:
                            tail = tail.rpartition(":")[2]
                        bucket = tails.tails.get(tail)
                        if bucket is not None:
                            buckets.append(bucket)
                    if tails.tokens:
                        by_token = tails.tokens
                        sizes = tails.token_lengths
                        for token in resource.replace("/", ":").split(":"):
                            if len(token) in sizes:
                                bucket = by_token.get(token)
                                # A token the resource holds twice reaches its bucket once.
                                if bucket is not None and bucket not in buckets:
                                    buckets.append(bucket)
        for bucket in buckets:
            for group in bucket:
                match = group.match
                if match(resource) if match is not None else group.test(request):
                    found += group.units
        return found


def _slot(
    prefixes: _Prefixes[_Placed],
    services: dict[str, _Tails[_Placed]],
    loose: _Placed,
    template: Template,
) -> _Placed:
    """Where a pattern is placed (see the module's docstring), made on first use."""
    prefix, suffix = _literal_ends(template)
    fields = prefix.split(":", 5)
    if len(fields) == 6:
        rest = fields[5]
        cut = _first_separator(rest)
        if cut >= 0:
            segment = prefix[: len(prefix) - len(rest) + cut + 1]
            lengths = prefixes.segments.get(segment, ())
            if len(prefix) not in lengths:
                prefixes.segments[segment] = (*lengths, len(prefix))
        elif len(prefix) not in prefixes.partial_lengths:
            prefixes.partial_lengths = (*prefixes.partial_lengths, len(prefix))
        return prefixes.keyed.setdefault(prefix, [])
    if len(fields) < 4:
        return loose
    # By the service's name alone: every resource the pattern matches has it as its third
    # field; patterns of other partitions that share the name are merely tested as well.
    tails = services.get(fields[2])
    if tails is None:
        tails = services[fields[2]] = _Tails[_Placed]({}, {}, [])
    cut = _last_separator(suffix)
    if cut >= 0:
        return tails.tails.setdefault(suffix[cut + 1 :], [])
    token = _last_token(template)
    if token:
        return tails.tokens.setdefault(token, [])
    return tails.rest


def _prefix_and_star(template: Template) -> bool:
    """Whether the pattern is literal text and one `*` at its end (`arn:aws:s3:::b/*`)."""
    parts = template.parts
    return (
        len(parts) >= 2
        and isinstance(parts[-1], Wildcard)
        and parts[-1].char == "*"
        and all(isinstance(p, Literal) for p in parts[:-1])
    )


def _static_matcher(template: Template) -> Matcher | None:
    """The matcher of a pattern without policy variables (None for one with variables)."""
    if template.has_variables:
        return None
    return glob_matcher([p for p in template.parts if isinstance(p, (Literal, Wildcard))])


def _literal_ends(template: Template) -> tuple[str, str]:
    """The literal text before the first and after the last wildcard or variable."""
    parts = template.parts
    prefix: list[str] = []
    for part in parts:
        if not isinstance(part, Literal):
            break
        prefix.append(part.text)
    suffix: list[str] = []
    for part in reversed(parts):
        if not isinstance(part, Literal):
            break
        suffix.append(part.text)
    return "".join(prefix), "".join(reversed(suffix))


def _last_token(template: Template) -> str:
    """The last non-empty text the pattern holds between two literal separators, with no
    wildcard or variable in it ("" if none): every resource the pattern matches contains it
    with a separator on each side, so it is one of the resource's separator-split tokens."""
    found = ""
    for part in template.parts:
        if not isinstance(part, Literal):
            continue
        pieces = _TOKENS.split(part.text)
        # The first and last pieces touch a wildcard or variable (or the pattern's ends).
        for piece in pieces[1:-1]:
            if piece:
                found = piece
    return found


def _first_separator(text: str) -> int:
    colon, slash = text.find(":"), text.find("/")
    if colon < 0:
        return slash
    if slash < 0:
        return colon
    return min(colon, slash)


def _last_separator(text: str) -> int:
    return max(text.rfind(":"), text.rfind("/"))
