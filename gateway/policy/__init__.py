"""The AWS IAM policy language: parse, validate, compile and evaluate. Pure Python, no I/O.

policy = parse_policy(text, kind="identity")
decision = evaluate(Request(action, resource, principal, context), identity=[policy])
compiled = compile_policies([policy]); compiled.evaluate(request)   # same Decision, faster
"""

from gateway.policy.compiled import CompiledPolicies, compile_policies
from gateway.policy.decision import Decision, Effect, StatementRef
from gateway.policy.document import Policy, Statement, parse_policy, policy_size
from gateway.policy.errors import PolicySizeError, PolicyValidationError
from gateway.policy.evaluator import evaluate
from gateway.policy.request import PreparedPrincipal, Request

__all__ = [
    "CompiledPolicies",
    "Decision",
    "Effect",
    "Policy",
    "PolicySizeError",
    "PolicyValidationError",
    "PreparedPrincipal",
    "Request",
    "Statement",
    "StatementRef",
    "compile_policies",
    "evaluate",
    "parse_policy",
    "policy_size",
]
