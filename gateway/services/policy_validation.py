"""IAM Access Analyzer's ValidatePolicy: the checks of `gateway.policy.checks`, with AWS's
input rules."""

from __future__ import annotations

from gateway.errors import ValidationError
from gateway.policy.checks import POLICY_TYPES, RESOURCE_POLICY, PolicyFinding, check_policy

MAX_DOCUMENT = 131072
"""The longest document accepted (the simulator's limit; AWS's managed policies are 6,144)."""
RESOURCE_TYPES = (
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3::MultiRegionAccessPoint",
    "AWS::S3ObjectLambda::AccessPoint",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::DynamoDB::Table",
)
"""AWS's ValidatePolicyResourceType values; only a role trust policy changes the checks."""


def validate_policy(
    policy_document: str, policy_type: str, resource_type: str | None = None
) -> list[PolicyFinding]:
    """The findings for a policy document of `policy_type` (IDENTITY_POLICY or
    RESOURCE_POLICY); ValidationError for input AWS refuses."""
    if policy_type not in POLICY_TYPES:
        raise ValidationError(
            f"Unsupported policyType {policy_type}: the gateway validates "
            + " and ".join(POLICY_TYPES)
            + " policies."
        )
    if not 1 <= len(policy_document) <= MAX_DOCUMENT:
        raise ValidationError(f"policyDocument must be 1 to {MAX_DOCUMENT} characters long.")
    if resource_type is not None:
        if policy_type != RESOURCE_POLICY:
            raise ValidationError(
                "validatePolicyResourceType can only be specified for RESOURCE_POLICY policies."
            )
        if resource_type not in RESOURCE_TYPES:
            raise ValidationError(
                f"Invalid validatePolicyResourceType {resource_type}: expected one of "
                + ", ".join(RESOURCE_TYPES)
                + "."
            )
    return check_policy(policy_document, policy_type, resource_type)
