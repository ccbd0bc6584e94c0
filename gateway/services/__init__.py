"""The IAM operations: rules, quotas, transactions and audit, one module per aggregate.

Every service function takes the acting `Principal` first and raises `gateway.errors`
exceptions; authorization of the operation itself happens before it is called. A module
declares the IAM actions of its writes (`users.CREATE`, …), and the resolvers' `@authorize`
reads them. What users, groups and roles share is written once in `identities`, the
tag rules of every taggable kind in `tags`.
"""
