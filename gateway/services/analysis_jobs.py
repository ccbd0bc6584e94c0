"""The jobs behind last-accessed reports and generated policies: ids, and who may read them.

AWS hands a job's id to the caller that started it and lets only that caller (the same user,
or the same role) read the result. Jobs are stored (`gateway.models.AnalysisJob`) so that any
replica can answer for them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from gateway.errors import InvalidInput, ResourceNotFound
from gateway.models import AnalysisJob, JobKind
from gateway.services.principal import Principal


def new_job_id() -> str:
    """A new 36-character job id (a UUID, as AWS's are)."""
    return str(uuid.uuid4())


def requester(actor: Principal) -> str:
    """Who a job belongs to: the user, or the role (any of its sessions), or the root user."""
    return actor.role.arn if actor.role is not None else actor.arn


async def owned_job(
    actor: Principal, job_id: str, kind: JobKind, missing: type[Exception] = ResourceNotFound
) -> AnalysisJob:
    """The caller's job of that kind; `missing` (an error class taking a message) for any
    other id, whoever's it is, so that ids of others' jobs tell nothing."""
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise InvalidInput(f"Invalid job id {job_id!r}: expected a 36-character job id.") from None
    job = await AnalysisJob.get_or_none(
        id=job_id, account_id=actor.account_id, kind=kind.value, requested_by=requester(actor)
    )
    if job is None:
        raise missing(f"The job with id {job_id} cannot be found.")
    return job


def dump_time(moment: datetime | None) -> str | None:
    """A time as a job's result stores it."""
    return moment.isoformat() if moment is not None else None


def load_time(text: str | None) -> datetime | None:
    """A time stored by `dump_time`."""
    return datetime.fromisoformat(text) if text is not None else None
