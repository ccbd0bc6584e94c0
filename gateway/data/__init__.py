"""Data files shipped with the gateway (the AWS-managed policies)."""
