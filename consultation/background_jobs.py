"""Jobs with a status to poll, for read-only work too long for a request (theme discovery, next-to-code).

A route creates the job (202, with its poll URL) and sends a Celery task; the task runs the room's service
through `run_job`, which stores the result (already dumped through the room's schema, so plain JSON) or the
reason it failed. Only the user who asked may read a job: its result may be scoped to their boroughs.
"""

import uuid
from collections.abc import Callable
from datetime import datetime

import marshmallow as ma
from flask import url_for
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.errors import ApiError, NotFound
from consultation.extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")


class BackgroundJob(db.Model):
    __tablename__ = "background_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "The job to poll"})
    kind = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(JOB_STATUSES)})
    error = ma.fields.String(allow_none=True)
    poll_url = ma.fields.String(metadata={"description": "GET it until status is done or failed"})
    result = ma.fields.Dict(allow_none=True, metadata={"description": "Once done: what the synchronous call gave"})


def create_job(session: Session, *, kind: str, params: dict, user_id: int | None) -> BackgroundJob:
    """A queued job, committed before any worker can look for it."""
    job = BackgroundJob(
        id=uuid.uuid4().hex, kind=kind, params=params, status="queued", requested_by_user_id=user_id, requested_at=now()
    )
    session.add(job)
    session.commit()
    return job


def queue_job(session: Session, task, *, kind: str, params: dict, user_id: int) -> BackgroundJob:
    """Create the job and send its Celery task (`task(job_id)`)."""
    job = create_job(session, kind=kind, params=params, user_id=user_id)
    task.delay(job.id)
    return job


def with_poll_url(job: BackgroundJob, endpoint: str, **values) -> BackgroundJob:
    """The job, with the URL to poll it at (the route's own endpoint) for JobSchema."""
    job.poll_url = url_for(endpoint, job_id=job.id, **values)
    return job


def get_job(session: Session, job_id: str, *, kind: str, user_id: int) -> BackgroundJob:
    """The job if this user asked for it (404 otherwise, so job ids reveal nothing)."""
    job = session.get(BackgroundJob, job_id)
    if job is None or job.kind != kind or job.requested_by_user_id != user_id:
        raise NotFound("job", job_id)
    return job


def run_job(session: Session, job_id: str, work: Callable[[dict], dict]) -> str:
    """Run `work(params)` for a queued job and store its result, or the reason it failed; the job's status."""
    job = session.get(BackgroundJob, job_id)
    if job is None or job.status in ("done", "failed"):
        return job.status if job is not None else "missing"
    job.status, job.started_at = "running", now()
    session.commit()
    params = dict(job.params)
    try:
        result = work(params)
    except ApiError as refusal:  # an expected refusal (consultation gone, ...): the reason, for the poller
        session.rollback()
        job = session.get(BackgroundJob, job_id)
        job.status, job.error, job.finished_at = "failed", refusal.message, now()
        session.commit()
        return job.status
    except Exception:  # the task retries (a cut connection) or fails; the job stays "running" until then
        session.rollback()
        raise
    job = session.get(BackgroundJob, job_id)
    job.status, job.result, job.finished_at = "done", result, now()
    session.commit()
    return job.status
