"""Renders and filings as Celery tasks: where they run is BACKGROUND_JOBS (consultation/jobs.py), never inside the
request. The render itself runs in a child process killed at the render time limit (submissions/rendering.py);
`time_limit` is the worker's own backstop, past the render limit."""

from consultation.extensions import celery, db
from consultation.jobs import RELIABLE
from consultation.submissions import filing, service
from consultation.submissions.rendering import DEFAULT_TIME_LIMIT

BACKSTOP_SECONDS = DEFAULT_TIME_LIMIT * 5


@celery.task(name="submissions.render", time_limit=BACKSTOP_SECONDS, **RELIABLE)
def render_job(job_id: str) -> str:
    """Render a queued job; its status, and the PDF once done, are stored on the job row."""
    try:
        return service.run_render(db.session, job_id).status
    except Exception:
        db.session.rollback()
        raise


@celery.task(name="submissions.file", time_limit=BACKSTOP_SECONDS, **RELIABLE)
def file_job(job_id: str) -> str:
    """Render the final PDF of the locked draft and file it; the job row says how it went."""
    try:
        return filing.run_filing(db.session, job_id).status
    except Exception:
        db.session.rollback()
        raise


def start_render(session, user, submission) -> str:
    """Queue a render of the submission as it is now and hand it to Celery; returns the job id to poll."""
    job = service.request_render(session, user, submission)
    render_job.delay(job.id)
    return job.id


def start_filing(session, user, submission_id: int, *, received_at) -> str:
    """Lock the submission, queue its filing job and hand it to Celery; returns the job id to poll."""
    job = filing.request_filing(session, user, submission_id, received_at=received_at)
    file_job.delay(job.id)
    return job.id
