"""The gateway with access activity switched off: the baseline of `bench/access_activity.py`.

Everything is the real app (`gateway.app.create_app`) except the recorder of allowed
decisions, replaced by one that forgets them, so that the two servers differ in that alone.
"""

from __future__ import annotations

from starlette.applications import Starlette

from gateway.app import create_app as create_gateway
from gateway.policy import Decision
from gateway.services.access_activity import ActivityRecorder
from gateway.services.principal import Principal


class ForgetfulRecorder(ActivityRecorder):
    """Counts nothing."""

    def note(self, principal: Principal, action: str, decision: Decision) -> None:
        return None


def create_app() -> Starlette:
    """The gateway, recording no access activity."""
    app = create_gateway()
    app.state.activity = ForgetfulRecorder()
    return app
