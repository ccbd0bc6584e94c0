"""The IAM operations: rules, quotas, transactions and audit, one module per aggregate.

Every service function takes the acting `Principal` first and raises `gateway.errors`
exceptions; authorization of the operation itself happens before it is called.
"""
