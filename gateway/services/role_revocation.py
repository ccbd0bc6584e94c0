"""Revoking a role's active sessions, as the AWS console's "Revoke active sessions" does.

Temporary credentials cannot be recalled, so AWS revokes them by policy: it puts an inline
policy named `AWSRevokeOlderSessions` on the role that denies everything to sessions whose
`aws:TokenIssueTime` is before now:

    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T12:00:00Z"}}}]}

It is an ordinary inline policy (PutRolePolicy, with its permission and audit event), visible
among the role's inline policies; revoking again moves the instant forward. Sessions issued
after it work as before. The instant is rounded up to the next whole second, because
`aws:TokenIssueTime` has whole seconds: a session issued earlier in the same second must not
escape (one issued later in that second is refused too, and can simply be assumed again).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from gateway import clock
from gateway.services.inline_policies import put_role_policy
from gateway.services.principal import Principal

POLICY_NAME = "AWSRevokeOlderSessions"


def revocation_document(before: datetime) -> str:
    """The inline policy denying everything to sessions issued before `before`."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["*"],
                    "Resource": ["*"],
                    "Condition": {
                        "DateLessThan": {
                            "aws:TokenIssueTime": before.strftime("%Y-%m-%dT%H:%M:%SZ")
                        }
                    },
                }
            ],
        }
    )


def revocation_instant(now: datetime) -> datetime:
    """`now` rounded up to a whole second (see the module docstring)."""
    whole = now.replace(microsecond=0)
    return whole if whole == now else whole + timedelta(seconds=1)


async def revoke_role_sessions(actor: Principal, role_name: str) -> datetime:
    """Deny everything to the role's sessions issued before now, with the role's
    `AWSRevokeOlderSessions` inline policy (PutRolePolicy's rules and errors); returns the
    instant before which sessions are denied."""
    before = revocation_instant(clock.now())
    await put_role_policy(
        actor,
        role_name=role_name,
        policy_name=POLICY_NAME,
        policy_document=revocation_document(before),
    )
    return before
