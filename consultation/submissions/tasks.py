"""The render job as a Celery task: eager (inline) by default, on a worker when a broker is configured."""

from consultation.extensions import celery, db
from consultation.submissions import service


@celery.task(name="submissions.render")
def render_job(job_id: str) -> str:
    """Render a queued job; its status, and the PDF once done, are stored on the job row."""
    try:
        return service.run_render(db.session, job_id).status
    except Exception:
        db.session.rollback()
        raise


def start_render(session, user, submission) -> str:
    """Queue a render of the submission as it is now and hand it to Celery; returns the job id to poll."""
    job = service.request_render(session, user, submission)
    render_job.delay(job.id)
    return job.id
