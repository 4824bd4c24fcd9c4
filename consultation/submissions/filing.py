"""Filing a submission before the deadline, as a background job, never inside the request.

The request applies intake's deadline rule to its arrival time (the one clock.arrival_time() gives: 17:30:00.000
London time on the closing day is late), locks the submission (status "filing": every change gets 409
`submission_being_filed` until the job ends) and queues a filing render: a render job that keeps the arrival
time, the filing reference and the SHA-256 of the draft as it stood when it was locked. The job renders the final
PDF (which prints the reference and the filing time, so it is always rendered for the filing, never taken from an
earlier draft render) and, in one commit, stores it with its hash, freezes the submission and records it as a
`submission` response for each of its stations. If the draft is no longer the one asked for, or the render
fails, nothing is filed and the submission is a draft again.
"""

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.clock import as_utc, now
from consultation.errors import ApiError, ValidationFailed
from consultation.intake import events as intake_events
from consultation.intake.references import REFERENCE_ALPHABET
from consultation.intake.service import check_open
from consultation.intake.submission_responses import record_submission_responses
from consultation.submissions.models import Submission, SubmissionFiling, SubmissionRender
from consultation.submissions.rendering import RenderedPdf, render_submission
from consultation.submissions.service import (
    EDITABLE_FIELDS,
    SubmissionBeingFiled,
    for_change,
    move_status,
    start_job,
)

log = logging.getLogger(__name__)

Renderer = Callable[..., RenderedPdf]
DRAFT_CHANGED = "The submission changed after it was sent for filing; nothing was filed. File it again."


def draft_sha256(submission: Submission) -> str:
    """The SHA-256 of everything the filed PDF is made from that the organiser controls, and of its version."""
    content = {field: getattr(submission, _column(field)) for field in EDITABLE_FIELDS if field != "signatory"}
    content.update(
        version=submission.version,
        signatory=[submission.signatory_name, submission.signatory_role],
        letterhead=hashlib.sha256(submission.letterhead or b"").hexdigest(),
    )
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _column(field: str) -> str:
    return "petition_ids" if field == "petitions" else field


def _filing_reference() -> str:
    """'SUB-7K4M-P9QX': 'SUB-' and eight characters a person can read out over the phone."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SUB-{chars[:4]}-{chars[4:]}"


def request_filing(session: Session, user: User, submission_id: int, *, received_at: datetime) -> SubmissionRender:
    """Check the deadline against the request's arrival, lock the submission and queue its filing render."""
    received_at = as_utc(received_at)
    submission = for_change(session, user, submission_id)
    check_open(submission.consultation, received_at)
    if not submission.stations:
        raise ValidationFailed({"stations": ["Choose at least one station before filing."]})
    if not move_status(session, submission.id, current="draft", new="filing"):  # another filing took it just now
        session.rollback()
        raise SubmissionBeingFiled(submission)
    session.refresh(submission)  # the draft as it stands now that nothing else can change it
    job = SubmissionRender(
        id=uuid.uuid4().hex,
        submission_id=submission.id,
        submission_version=submission.version,
        status="queued",
        purpose="filing",
        requested_by_user_id=user.id,
        requested_at=now(),
        received_at=received_at,
        filing_reference=_filing_reference(),
        draft_sha256=draft_sha256(submission),
    )
    session.add(job)
    record_audit(session, user, "request_filing", "submission", submission.id, {"job": job.id})
    session.commit()
    return job


def run_filing(session: Session, job_id: str, *, render: Renderer | None = None) -> SubmissionRender:
    """The filing job: render the final PDF of the exact draft that was locked, then file it in one commit."""
    render = render or render_submission
    job = start_job(session, job_id, purpose="filing")
    if job.status != "running":
        return job
    submission = session.get(Submission, job.submission_id)
    filed_at = as_utc(job.received_at)
    try:
        if draft_sha256(submission) != job.draft_sha256:
            raise ApiError(409, "submission_changed", DRAFT_CHANGED)
        rendered = render(
            session, submission, rendered_at=filed_at, filing={"reference": job.filing_reference, "filed_at": filed_at}
        )
    except Exception as error:
        return _give_back(session, job_id, error)
    response_ids = _file(session, job, submission, rendered)
    intake_events.responses_changed(response_ids)
    return job


def _file(session: Session, job: SubmissionRender, submission: Submission, rendered: RenderedPdf) -> list[int]:
    filed_at = as_utc(job.received_at)
    responses = record_submission_responses(
        session,
        slug=submission.consultation.slug,
        station_slugs=list(submission.stations),
        received_at=filed_at,
        respondent_type="organisation",
    )
    session.add(
        SubmissionFiling(
            submission_id=submission.id,
            reference=job.filing_reference,
            filed_at=filed_at,
            filed_by_user_id=job.requested_by_user_id,
            organisation=submission.organisation,
            sha256=rendered.sha256,
            pdf=rendered.pdf,
            pages=rendered.pages,
            response_references=[response.reference for response in responses],
        )
    )
    job.pdf, job.sha256, job.pages = rendered.pdf, rendered.sha256, rendered.pages
    job.status, job.finished_at = "done", now()
    submission.status, submission.updated_at = "filed", filed_at
    user = session.get(User, job.requested_by_user_id) if job.requested_by_user_id else None
    details = {"reference": job.filing_reference, "sha256": rendered.sha256}
    record_audit(session, user, "file", "submission", submission.id, details)
    session.commit()
    return [response.id for response in responses]


def _give_back(session: Session, job_id: str, error: Exception) -> SubmissionRender:
    """Nothing is filed: the job says why, and the submission is a draft again."""
    session.rollback()
    job = session.get(SubmissionRender, job_id)
    job.status, job.finished_at = "failed", now()
    job.error = error.message if isinstance(error, ApiError) else f"The filing failed: {type(error).__name__}."
    move_status(session, job.submission_id, current="filing", new="draft")
    session.commit()
    if not isinstance(error, ApiError):
        log.exception("Filing job %s of submission %s failed", job_id, job.submission_id, exc_info=error)
    return job
