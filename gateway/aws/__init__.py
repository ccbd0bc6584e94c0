"""The IAM and STS Query APIs at `/aws/` (boto3, the AWS CLI, every AWS SDK), table-driven:
each action is a GraphQL operation on the gateway's own schema (`operations`), rendered in
AWS's XML by AWS's service model (`model`, `render`), served by `endpoint`."""
