"""The IAM operations: rules, quotas, transactions and audit, one module per aggregate.

Every service function takes the acting `Principal` first and raises `gateway.errors`
exceptions; authorization of the operation itself happens before it is called. A module
declares the IAM actions of its writes (`users.CREATE`, …), and the resolvers' `@authorize`
reads them. What users, groups and roles share is written once in `identities`, the
tag rules of every taggable kind in `tags`.

Handing out credentials is an operation too: `signin` (password sign-in, `verify_mfa`,
sign-out) with `mfa_challenges`, `security_key_assertions` and `signin_throttling` (lockout),
`session_tokens` (GetSessionToken), `role_sessions` (AssumeRole) and `role_switching` (the
console's switch role). Sign-in has no acting principal yet: its functions take the
credentials offered instead. They make and hash tokens with `bearer_tokens` and build a
session's principal with `principal.principal_of`, which `gateway.auth` uses too. Turning
credentials into a `Principal` on every request is `gateway.auth`'s; services import
nothing from it (the layers import only downwards: `tests/test_layers.py`).
"""
