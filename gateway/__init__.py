"""The gateway: AWS IAM's model of identities and permissions for a company's own applications."""
