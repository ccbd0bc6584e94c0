"""Compiled policies: the same decisions as `evaluate`, in a few microseconds.

`compile_policies` indexes a principal's statements by action once:

- exact actions (`s3:GetObject`) in a dict, service wildcards (`s3:*`) in another, prefix
  wildcards (`s3:Get*`) by service and prefix, and any other glob in a short list;
- the candidate statements for an action are remembered, so a repeated action costs one dict
  lookup however many statements the principal has;
- resources become precompiled matchers (equality, prefix or regex), conditions closures.

Boundary, session and resource policies passed to `evaluate` are compiled once per `Policy`
object and kept on it (a Policy is immutable, so the compiled form never goes stale).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

from gateway.policy.conditions import ConditionCheck, Context, compile_condition
from gateway.policy.decision import Decision, Effect, StatementRef
from gateway.policy.document import Policy, PrincipalSet, Statement
from gateway.policy.evaluator import PolicyArg, as_policies
from gateway.policy.matching import Matcher, glob_matcher, glob_text_matcher, starts_with_prefix
from gateway.policy.outcome import (
    FEDERATED_TYPE,
    ROOT_TYPE,
    Applied,
    Findings,
    decide,
    ordered_keys,
)
from gateway.policy.principals import Grant, principal_grant, principal_names
from gateway.policy.request import Request, lowered
from gateway.policy.resource_index import PatternTest, ResourceIndex, Shared
from gateway.policy.variables import Literal, Template, Wildcard

ResourceTest = Callable[[Request], bool]
_ByResource: TypeAlias = "ResourceIndex[_Compiled, _Unit] | _Scan"
_MEMO_LIMIT = 4096
# Up to this many candidate statements, testing each one's resource costs less than a lookup.
_SCAN_LIMIT = 8
# Distinct units remembered for sharing: about as many as a principal of 10,000 statements has.
_SHARED_UNITS_LIMIT = 65536


class _Compiled:
    """One statement, ready to test against requests."""

    __slots__ = (
        "action_tests",
        "condition_keys",
        "condition_set",
        "conditions",
        "effect",
        "identity_ref",
        "index",
        "is_deny",
        "not_action",
        "not_principal",
        "not_resource",
        "order",
        "policy",
        "principals",
        "resource_test",
        "resources",
        "sid",
    )

    def __init__(self, order: int, policy: Policy, statement: Statement) -> None:
        self.order = order
        self.policy = policy.label
        self.sid = statement.sid
        self.index = statement.index
        self.effect = statement.effect
        self.is_deny = statement.is_deny
        self.not_action = statement.not_action
        # Only NotAction statements test actions themselves; the index places the others.
        self.action_tests = (
            [glob_text_matcher(a, ignore_case=True) for a in statement.actions]
            if statement.not_action
            else []
        )
        self.resources = statement.resources
        self.not_resource = statement.not_resource
        self.resource_test = _resource_test(statement)
        self.principals: PrincipalSet | None = statement.principals
        self.not_principal = statement.not_principal
        self.conditions: tuple[ConditionCheck, ...] = tuple(
            compile_condition(c) for c in statement.conditions
        )
        self.condition_keys = tuple((k, lowered(k)) for k in statement.condition_keys)
        self.condition_set: _Conditions | None = None
        self.identity_ref = self.ref("identity")

    def ref(self, layer: str) -> StatementRef:
        """How a decision names this statement when it sits in a `layer` policy."""
        return StatementRef(layer, self.policy, self.sid, self.index, self.effect)


Verdict: TypeAlias = "bool | tuple[bool, tuple[str, ...]]"
"""A Condition block's answer for a request (see `_Conditions.decide`)."""


class _Conditions:
    """One distinct Condition block, shared by every statement that carries it, so that it is
    decided once per request however many statements repeat it.

    A block's verdict depends only on the values of the keys it reads (its condition keys and
    the policy variables in its values), so it is remembered per tuple of those values: a
    principal's requests repeat the same few (its source IP, MFA, tags), and an IP range or a
    pattern is then tested once per distinct value set rather than once per request."""

    __slots__ = ("checks", "keys", "pair", "reads", "single", "verdicts")

    def __init__(self, compiled: _Compiled, statement: Statement) -> None:
        self.checks = compiled.conditions
        self.keys = compiled.condition_keys
        self.reads = tuple(
            dict.fromkeys(
                [
                    *(low for _, low in self.keys),
                    *(
                        lowered(key)
                        for condition in statement.conditions
                        for template in condition.values
                        for key in template.variable_keys
                    ),
                ]
            )
        )
        # Most blocks read one key: its values are then the memo's key, with no tuple to build.
        # Many of the rest read two (a tag compared with ${aws:username}): a pair is built
        # directly, which costs a fraction of a comprehension.
        self.single = self.reads[0] if len(self.reads) == 1 else None
        self.pair = (self.reads[0], self.reads[1]) if len(self.reads) == 2 else None
        self.verdicts: dict[object, Verdict] = {}

    def decide(self, context: Context) -> Verdict:
        """Whether the block holds for a context, as True or False when the request has every
        condition key the block names, else as (whether it holds, the keys the request lacks):
        the decision loop then tells the common answers apart by identity alone."""
        get = context.get
        single = self.single
        pair = self.pair
        values: object
        if single is not None:
            values = get(single)
        elif pair is not None:
            values = (get(pair[0]), get(pair[1]))
        else:
            values = tuple([get(key) for key in self.reads])
        verdicts = self.verdicts
        known = verdicts.get(values)
        if known is None:
            lacking = tuple([key for key, lowered in self.keys if not get(lowered)])
            holds = _all_hold(self.checks, context)
            known = (holds, lacking) if lacking else holds
            if len(verdicts) >= _MEMO_LIMIT:
                verdicts.clear()
            verdicts[values] = known
        return known


class _Unit:
    """Statements reached through one resource key that share their Condition block (or have
    none): they apply or not together.

    Units are made once per distinct (block, statements) and shared by every action and
    resource key that reaches the same statements: a principal's actions overlap heavily, so
    decisions then touch a few thousand units rather than tens of thousands scattered over
    the heap, and the decision memos, keyed by units, are shared too."""

    __slots__ = ("allows", "conditions", "denies", "deny", "statements")

    def __init__(self, conditions: _Conditions | None, statements: tuple[_Compiled, ...]) -> None:
        self.conditions = conditions
        self.statements = statements
        self.denies = tuple(s for s in statements if s.is_deny)
        self.allows = tuple(s for s in statements if not s.is_deny)
        # A flag for the decision loop, which would otherwise read a tuple's length: the
        # shared True and False stay in cache, the tuples need not. A unit without a Deny
        # holds an Allow (it is never empty).
        self.deny = bool(self.denies)


def _unit(key: tuple[_Conditions | None, tuple[_Compiled, ...]]) -> _Unit:
    return _Unit(*key)


class _Scan:
    """The few candidate statements of one action, for testing each one's resource in turn;
    those whose Resource is `*` (or absent) need no test and are grouped by Condition block."""

    __slots__ = ("always", "tested")

    def __init__(
        self,
        candidates: Sequence[_Compiled],
        make_units: Callable[[list[_Compiled]], tuple[_Unit, ...]],
    ) -> None:
        self.always = make_units([c for c in candidates if c.resource_test is _always])
        self.tested = tuple(
            [
                (c.resource_test, make_units([c])[0])
                for c in candidates
                if c.resource_test is not _always
            ]
        )

    def units(self, request: Request) -> list[_Unit]:
        """The units whose statements' Resource/NotResource covers the request's resource."""
        found = [*self.always]
        # A loop rather than a comprehension, which costs a frame per call before 3.12.
        for test, unit in self.tested:
            if test(request):
                found.append(unit)
        return found


class _Index:
    """Statements of one or more policies, indexed by the actions they name, and, for an
    action with many candidate statements, by the resources those name."""

    __slots__ = (
        "blocks",
        "everything",
        "exact",
        "memo",
        "not_actions",
        "patterns",
        "prefixes",
        "resources",
        "services",
        "shared",
        "units_by_block",
    )

    def __init__(self, policies: Iterable[Policy]) -> None:
        self.exact: dict[str, list[_Compiled]] = {}
        self.services: dict[str, list[_Compiled]] = {}
        self.prefixes: dict[str, dict[int, dict[str, list[_Compiled]]]] = {}
        self.patterns: list[tuple[Matcher, _Compiled]] = []
        self.everything: list[_Compiled] = []
        self.not_actions: list[_Compiled] = []
        self.memo: dict[str, tuple[_Compiled, ...]] = {}
        self.resources: dict[str, _ByResource] = {}
        self.shared = Shared[_Unit](_SHARED_UNITS_LIMIT)
        self.blocks: dict[tuple[object, ...], _Conditions] = {}
        self.units_by_block: dict[tuple[_Conditions | None, tuple[_Compiled, ...]], _Unit] = {}
        order = 0
        for policy in policies:
            for statement in policy.statements:
                compiled = _Compiled(order, policy, statement)
                if statement.conditions:
                    compiled.condition_set = self._block(compiled, statement)
                self._add(compiled, statement.actions)
                order += 1

    def _block(self, compiled: _Compiled, statement: Statement) -> _Conditions:
        """The shared Condition block equal to the statement's (same operators, keys as
        written, values), made on first sight."""
        signature = tuple(
            (c.operator.name, c.key, tuple(t.source for t in c.values))
            for c in statement.conditions
        )
        block = self.blocks.get(signature)
        if block is None:
            block = self.blocks[signature] = _Conditions(compiled, statement)
        return block

    def _add(self, compiled: _Compiled, actions: Sequence[str]) -> None:
        if compiled.not_action:
            self.not_actions.append(compiled)
            return
        for action in actions:
            lowered = action.lower()
            service, _, name = lowered.partition(":")
            if lowered == "*":
                self.everything.append(compiled)
            elif "*" not in lowered and "?" not in lowered:
                self.exact.setdefault(lowered, []).append(compiled)
            elif "*" in service or "?" in service:
                self.patterns.append((glob_text_matcher(lowered), compiled))
            elif name == "*":
                self.services.setdefault(service, []).append(compiled)
            elif name.endswith("*") and "*" not in name[:-1] and "?" not in name:
                prefix = name[:-1]
                by_length = self.prefixes.setdefault(service, {})
                by_length.setdefault(len(prefix), {}).setdefault(prefix, []).append(compiled)
            else:
                self.patterns.append((glob_text_matcher(lowered), compiled))

    def units(self, action: str, request: Request) -> list[_Unit]:
        """The units whose statements' Action/NotAction covers `action` (lower-case) and
        whose Resource/NotResource covers the request's resource."""
        by_resource = self.resources.get(action)
        if by_resource is None:
            by_resource = self._by_resource(action)
        return by_resource.units(request)

    def applicable(self, action: str, request: Request) -> list[_Compiled]:
        """The statements whose Action/NotAction covers `action` (lower-case) and whose
        Resource/NotResource covers the request's resource, in order."""
        found = {s.order: s for unit in self.units(action, request) for s in unit.statements}
        return [found[order] for order in sorted(found)]

    def _by_resource(self, action: str) -> _ByResource:
        candidates = self.candidates(action)
        by_resource: _ByResource
        if len(candidates) > _SCAN_LIMIT:
            by_resource = ResourceIndex(candidates, self.shared, _pattern_test, self._units)
        else:
            by_resource = _Scan(candidates, self._units)
        if len(self.resources) >= _MEMO_LIMIT:
            self.resources.clear()
        self.resources[action] = by_resource
        return by_resource

    def _units(self, statements: list[_Compiled]) -> tuple[_Unit, ...]:
        """The statements grouped by Condition block, in order of first appearance, as the
        shared unit of each group; equal tuples of units are shared too."""
        by_block: dict[int, tuple[_Conditions | None, list[_Compiled]]] = {}
        for statement in statements:
            block = statement.condition_set
            entry = by_block.get(id(block))
            if entry is None:
                by_block[id(block)] = (block, [statement])
            else:
                entry[1].append(statement)
        shared = self.shared
        made = [
            shared.kept(self.units_by_block, (block, tuple(listed)), _unit)
            for block, listed in by_block.values()
        ]
        return shared.units(tuple(made))

    def candidates(self, action: str) -> tuple[_Compiled, ...]:
        """The statements whose Action/NotAction covers `action` (lower-case), in order."""
        found = self.memo.get(action)
        if found is not None:
            return found
        service, _, name = action.partition(":")
        matched: dict[int, _Compiled] = {}
        for bucket in (
            self.everything,
            self.exact.get(action, ()),
            self.services.get(service, ()),
        ):
            for compiled in bucket:
                matched[compiled.order] = compiled
        for length, by_prefix in self.prefixes.get(service, {}).items():
            for compiled in by_prefix.get(name[:length], ()):
                matched[compiled.order] = compiled
        for test, compiled in self.patterns:
            if test(action):
                matched[compiled.order] = compiled
        for compiled in self.not_actions:
            if not any(test(action) for test in compiled.action_tests):
                matched[compiled.order] = compiled
        found = tuple(matched[order] for order in sorted(matched))
        if len(self.memo) >= _MEMO_LIMIT:
            self.memo.clear()
        self.memo[action] = found
        return found


class CompiledPolicies:
    """A principal's identity-based policies, compiled for fast repeated decisions."""

    __slots__ = ("_allowed", "_decisions", "_index", "policies")

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = tuple(policies)
        self._decisions: dict[tuple[object, ...], Decision] = {}
        self._allowed: dict[tuple[_Unit, ...], Decision] = {}
        # Compiling allocates many small objects and no reference cycles; pausing the cyclic
        # collector meanwhile cuts the time for 10,000 statements by about two thirds.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._index = _Index(self.policies)
        finally:
            if collecting:
                gc.enable()

    def examined(self, request: Request) -> tuple[int, int]:
        """For benchmarks: how many statements the action index leaves for `request` (its
        candidates), and how many of those the resource index lets through."""
        action = request.action_lower
        return (
            len(self._index.candidates(action)),
            len(self._index.applicable(action, request)),
        )

    def evaluate(
        self,
        request: Request,
        boundary: PolicyArg = None,
        session: PolicyArg = None,
        resource: PolicyArg = None,
    ) -> Decision:
        """The same Decision as `evaluate(request, identity=policies, …)`."""
        if (
            boundary is not None
            or session is not None
            or resource is not None
            or request.principal_type in (ROOT_TYPE, FEDERATED_TYPE)
        ):
            return self._layered(request, boundary, session, resource)
        # The common case, identity policies alone, without the general bookkeeping; here
        # rather than in a method of its own, and the action's index found here too: each
        # call costs a decision about as much as handling two units.
        index = self._index
        # Subscripts rather than `get` where the key is nearly always there: a subscript of a
        # dict costs a fraction of a method call, and a missing key only the first time.
        try:
            by_resource = index.resources[request.action_lower]
        except KeyError:
            by_resource = index._by_resource(request.action_lower)
        denies: list[_Unit] | None = None
        allows: list[_Unit] | None = None
        missing: set[str] | None = None
        context = request.keys
        # A block's verdict is looked up here rather than through a method: this loop runs
        # once per applicable unit of every decision, and a call costs more than the lookup.
        for unit in by_resource.units(request):
            block = unit.conditions
            if block is not None:
                single = block.single
                if single is not None:
                    try:
                        known = block.verdicts[context.get(single)]
                    except KeyError:
                        known = None
                elif block.pair is not None:
                    first, second = block.pair
                    known = block.verdicts.get((context.get(first), context.get(second)))
                else:
                    known = None
                if known is not True:
                    if known is None:
                        known = block.decide(context)
                    if known is False:
                        continue
                    if known is not True:
                        # Keys the request lacks: they are named whatever the decision.
                        holds, lacking = known
                        if missing is None:
                            missing = set(lacking)
                        else:
                            missing.update(lacking)
                        if not holds:
                            continue
            if unit.deny:
                if denies is None:
                    denies = [unit]
                else:
                    denies.append(unit)
            elif denies is None:
                # A unit holds at least one statement: without a Deny, it holds an Allow.
                if allows is None:
                    allows = [unit]
                else:
                    allows.append(unit)
        if denies is not None:
            return self._decision(_EXPLICIT_DENY, denies, "identity", missing)
        if allows is None:
            if missing is None:
                return _NO_ALLOW
            return self._decision(_IMPLICIT_DENY, (), "identity", missing)
        if not request.same_account:
            return self._decision(_IMPLICIT_DENY, (), "resource", missing)
        if missing is None:
            # Half of all answers: an Allow with nothing missing, found by its units alone.
            units = tuple(allows)
            try:
                return self._allowed[units]
            except KeyError:
                pass
            allowed = self._decision(_ALLOW, units, None, None)
            if len(self._allowed) >= _MEMO_LIMIT:
                self._allowed.clear()
            self._allowed[units] = allowed
            return allowed
        return self._decision(_ALLOW, allows, None, missing)

    def _layered(
        self,
        request: Request,
        boundary: PolicyArg,
        session: PolicyArg,
        resource: PolicyArg,
    ) -> Decision:
        """The general case: other policy layers, or a root or federated caller."""
        boundaries = as_policies(boundary)
        sessions = as_policies(session)
        resources = as_policies(resource) or []
        findings = Findings.empty()
        findings.trust = any(policy.kind == "trust" for policy in resources)
        _collect(self._index, "identity", request, findings)
        for layer, policies in (
            ("resource", resources),
            ("boundary", boundaries or []),
            ("session", sessions or []),
        ):
            for policy in policies:
                _collect(_policy_index(policy), layer, request, findings)
        return decide(
            request,
            findings,
            has_boundary=boundaries is not None,
            has_session=sessions is not None,
        )

    def _decision(
        self,
        effect: Effect,
        units: Sequence[_Unit],
        denied_by: str | None,
        missing: set[str] | None,
    ) -> Decision:
        """The Decision reached through these units, made once: a Decision is immutable, and
        making one (sorting its statements into policy order) costs more than finding it."""
        key = (effect, tuple(units), denied_by, frozenset(missing) if missing else None)
        memo = self._decisions
        found = memo.get(key)
        if found is None:
            refs: tuple[StatementRef, ...] = ()
            if effect is _EXPLICIT_DENY or effect is _ALLOW:
                chosen = {
                    s.order: s
                    for unit in units
                    for s in (unit.denies if effect is _EXPLICIT_DENY else unit.allows)
                }
                refs = tuple(chosen[order].identity_ref for order in sorted(chosen))
            found = Decision(effect, refs, denied_by, ordered_keys(missing) if missing else ())
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[key] = found
        return found


# An enum member costs a class attribute lookup through the enum's machinery each time it is
# named; the decision path names them from module globals instead.
_ALLOW = Effect.ALLOW
_EXPLICIT_DENY = Effect.EXPLICIT_DENY
_IMPLICIT_DENY = Effect.IMPLICIT_DENY
# Decisions are immutable, so the most common one is made once.
_NO_ALLOW = Decision(_IMPLICIT_DENY, (), "identity", ())


def _all_hold(conditions: tuple[ConditionCheck, ...], context: Context) -> bool:
    # A plain loop: `all()` over a generator costs a frame per call on this hot path.
    for check in conditions:  # noqa: SIM110
        if not check(context):
            return False
    return True


def compile_policies(policies: Sequence[Policy]) -> CompiledPolicies:
    """Index one principal's identity-based policies for fast evaluation."""
    return CompiledPolicies(policies)


def _policy_index(policy: Policy) -> _Index:
    cache = policy.compiled_cache
    if not cache:
        cache.append(_Index([policy]))
    index: _Index = cache[0]
    return index


def _collect(index: _Index, layer: str, request: Request, findings: Findings) -> None:
    found = findings.layer(layer)
    names: frozenset[tuple[str, str]] | None = None
    for compiled in index.applicable(request.action_lower, request):
        grant: Grant | None = None
        if compiled.principals is not None:
            if names is None:
                names = principal_names(request)
            grant = principal_grant(compiled.principals, compiled.not_principal, request, names)
            if grant is None:
                continue
        if compiled.condition_keys:
            context = request.keys
            findings.missing.update(k for k, low in compiled.condition_keys if not context.get(low))
            if not all(check(context) for check in compiled.conditions):
                continue
        found.append(Applied(compiled.ref(layer), grant))


def _resource_test(statement: Statement) -> ResourceTest:
    """A predicate on the request's resource for the statement's Resource/NotResource."""
    if statement.resources is None:
        return _always
    negate = statement.not_resource
    static: list[Matcher] = []
    prefixes: list[str | None] = []
    exact: set[str] = set()
    dynamic = []
    for template in statement.resources:
        if template.has_variables:
            dynamic.append(template)
            continue
        rendered = template.render(_unused_lookup)
        assert rendered is not None
        if rendered == (Wildcard("*"),) and not negate:
            return _always
        if all(isinstance(p, Literal) for p in rendered):
            exact.add("".join(p.text for p in rendered if isinstance(p, Literal)))
        else:
            static.append(glob_matcher(rendered))
            prefixes.append(starts_with_prefix(rendered))

    if not dynamic:
        if not negate and not exact and len(static) == 1 and prefixes[0] is not None:
            prefix = prefixes[0]

            size = len(prefix)

            # The commonest pattern (`arn:…:bucket/*`), tested without calling its matcher
            # (and by a slice rather than `startswith`, as matching's matchers are).
            def one_prefix(request: Request) -> bool:
                return request.resource[:size] == prefix

            return one_prefix
        return _static_resource_test(exact, static, negate)

    matchers = [_variable_matcher(template) for template in dynamic]
    if len(matchers) == 1 and not static and not exact and not negate:
        (only,) = matchers

        def one_variable_pattern(request: Request) -> bool:
            matcher = only(request)
            return matcher is not None and matcher(request.resource)

        return one_variable_pattern

    def dynamic_test(request: Request) -> bool:
        resource = request.resource
        listed = resource in exact or _any_match(static, resource)
        for matcher_for in matchers:
            matcher = matcher_for(request)
            if matcher is None:
                if negate:
                    return False
                continue
            if not listed and matcher(resource):
                listed = True
        return listed != negate

    return dynamic_test


def _pattern_test(template: Template) -> PatternTest:
    """One Resource pattern's test on a request, variables resolved for it."""
    if not template.has_variables:
        rendered = template.render(_unused_lookup)
        assert rendered is not None
        matcher = glob_matcher(rendered)

        def static(request: Request) -> bool:
            return matcher(request.resource)

        return static
    matcher_for = _variable_matcher(template)

    def variable(request: Request) -> bool:
        found = matcher_for(request)
        return found is not None and found(request.resource)

    return variable


def _variable_matcher(template: Template) -> Callable[[Request], Matcher | None]:
    """The matcher for a resource pattern with policy variables, remembered per value set."""
    keys = tuple(lowered(key) for key in template.variable_keys)
    single = keys[0] if len(keys) == 1 else None
    remembered: dict[object, Matcher | None] = {}

    def matcher_for(request: Request) -> Matcher | None:
        context = request.keys
        values: object = (
            context.get(single) if single is not None else tuple([context.get(key) for key in keys])
        )
        # A subscript costs a fraction of `get`; a value set is missing only the first time.
        try:
            return remembered[values]
        except KeyError:
            pass
        rendered = template.render(request.value)
        matcher = None if rendered is None else glob_matcher(rendered)
        if len(remembered) >= _MEMO_LIMIT:
            remembered.clear()
        remembered[values] = matcher
        return matcher

    return matcher_for


def _static_resource_test(exact: set[str], static: list[Matcher], negate: bool) -> ResourceTest:
    """The cheapest predicate for resource patterns known at compile time."""
    if not negate and not static:
        if len(exact) == 1:
            (only,) = exact

            def one_exact(request: Request) -> bool:
                return request.resource == only

            return one_exact

        def any_exact(request: Request) -> bool:
            return request.resource in exact

        return any_exact
    if not negate and not exact and len(static) == 1:
        (matcher,) = static

        def one_pattern(request: Request) -> bool:
            return matcher(request.resource)

        return one_pattern

    def general(request: Request) -> bool:
        resource = request.resource
        listed = resource in exact or _any_match(static, resource)
        return listed != negate

    return general


def _any_match(matchers: list[Matcher], resource: str) -> bool:
    # A plain loop: `any()` over a generator costs a frame per call on this hot path.
    for matcher in matchers:  # noqa: SIM110
        if matcher(resource):
            return True
    return False


def _always(_: Any) -> bool:
    return True


def _unused_lookup(_: str) -> str | None:
    return None
