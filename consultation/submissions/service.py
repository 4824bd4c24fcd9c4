"""Submissions: drawing them up, rendering them, filing them before the deadline, verifying a filed PDF.

Who may do what: an organiser creates submissions for stations in their own boroughs and bundles only petitions
they own; they see and change only their own. Reviewers and admins read every submission; admins may also change
them. Filing (submissions/filing.py) is a job, judged by the arrival time the route took once (17:30:00.000
London time is late): while it runs the submission is locked (409 `submission_being_filed`); once filed, it is
frozen: every change gets 409 `submission_filed`.
"""

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.catalog.models import Consultation
from consultation.catalog.service import get_consultation
from consultation.clock import now
from consultation.errors import ApiError, Forbidden, NotFound, ValidationFailed
from consultation.petitions import service as petitions_service
from consultation.submissions import previews
from consultation.submissions.letterhead import letterhead_type
from consultation.submissions.markup import list_depth_problem
from consultation.submissions.models import Submission, SubmissionFiling, SubmissionRender, SubmissionRenderPage
from consultation.submissions.rendering import Progress, render_submission

EDITABLE_FIELDS = (
    "title",
    "addressed_to",
    "organisation",
    "signatory",
    "stations",
    "sections",
    "petitions",
    "include_aggregates",
)

log = logging.getLogger(__name__)


class SubmissionBeingFiled(ApiError):
    def __init__(self, submission: Submission):
        super().__init__(
            409,
            "submission_being_filed",
            f"Submission {submission.id} is being filed; it cannot be changed while its final PDF is rendered.",
        )


class SubmissionFiled(ApiError):
    def __init__(self, submission: Submission):
        super().__init__(
            409,
            "submission_filed",
            f"Submission {submission.id} was filed and is frozen; it can no longer be changed.",
        )


# Access ------------------------------------------------------------------------------------------------------


def get_submission(session: Session, user: User, submission_id: int) -> Submission:
    """The submission if this user may read it: 404 when it does not exist, 403 when it is someone else's."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("submission", str(submission_id))
    permissions.ensure_may_read(user, submission, "submission")
    return submission


def for_change(session: Session, user: User, submission_id: int) -> Submission:
    """The submission if this user may change it now: 409 once filed, and while a filing job holds it."""
    submission = get_submission(session, user, submission_id)
    permissions.ensure_may_change(user, submission, "submission")
    if submission.status == "filed":
        raise SubmissionFiled(submission)
    if submission.status == "filing":
        raise SubmissionBeingFiled(submission)
    return submission


def move_status(session: Session, submission_id: int, *, current: str, new: str) -> bool:
    """Set the status only where the row still has `current` (decided by the database, not by what was read)."""
    moved = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == current)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def _commit_while_draft(session: Session, submission: Submission) -> None:
    """Commit a change only if the submission is still a draft in the database: a filing that locked it after this
    request read it wins, and the change is refused (409) rather than slipped in under the filed PDF."""
    if not move_status(session, submission.id, current="draft", new="draft"):
        session.rollback()
        raise SubmissionBeingFiled(submission)
    session.commit()


def list_submissions(session: Session, user: User) -> list[Submission]:
    """Organisers see their own; reviewers and admins see every submission."""
    query = select(Submission).order_by(Submission.id)
    owner_id = permissions.owner_filter(user)
    if owner_id is not None:
        query = query.where(Submission.owner_id == owner_id)
    return list(session.scalars(query))


# Checking what an organiser asks for ------------------------------------------------------------------------


def _check_stations(user: User, consultation: Consultation, slugs: list[str]) -> list[str]:
    return [station.slug for station in permissions.resolve_stations(user, consultation.stations, slugs)]


def _check_petitions(session: Session, user: User, consultation: Consultation, ids: list[int]) -> list[int]:
    if not ids:
        return []
    checked = []
    for petition_id in ids:
        try:
            petition = petitions_service.get_petition(session, petition_id)
        except ApiError:
            raise ValidationFailed({"petitions": [f"No petition {petition_id}."]}) from None
        if not permissions.may_change_owned(user, petition):
            raise Forbidden(f"Petition {petition_id} belongs to another organiser.")
        if petition.consultation_id != consultation.id:
            raise ValidationFailed({"petitions": [f"Petition {petition_id} is about another consultation."]})
        if petition_id not in checked:
            checked.append(petition_id)
    return checked


def _check_sections(sections: list[dict]) -> None:
    """Refuse a body the PDF could not show whole (lists nested too deep), naming its section."""
    errors = {}
    for index, section in enumerate(sections):
        problem = list_depth_problem(section["body"])
        if problem:
            errors[f"sections.{index}.body"] = [problem]
    if errors:
        raise ValidationFailed(errors)


def _apply(session: Session, user: User, submission: Submission, data: dict) -> None:
    consultation = submission.consultation
    for name in ("title", "addressed_to", "organisation", "include_aggregates"):
        if name in data:
            setattr(submission, name, data[name])
    if "signatory" in data:
        submission.signatory_name = data["signatory"]["name"]
        submission.signatory_role = data["signatory"]["role"]
    if "sections" in data:
        _check_sections(data["sections"])
        submission.sections = [{"heading": item["heading"], "body": item["body"]} for item in data["sections"]]
    if "stations" in data:
        submission.stations = _check_stations(user, consultation, data["stations"])
    if "petitions" in data:
        submission.petition_ids = _check_petitions(session, user, consultation, data["petitions"])


# Create, change, delete -------------------------------------------------------------------------------------


def create_submission(session: Session, user: User, data: dict) -> Submission:
    """A draft submission owned by this organiser (or admin)."""
    if not permissions.has_role(user, permissions.OWNER_ROLES):
        raise Forbidden("Only organisers and admins draw up submissions.")
    consultation = get_consultation(session, data["consultation"])
    at = now()
    submission = Submission(
        owner_id=user.id,
        consultation_id=consultation.id,
        title="",
        addressed_to="",
        organisation="",
        signatory_name="",
        signatory_role="",
        stations=[],
        sections=[],
        petition_ids=[],
        include_aggregates=True,
        status="draft",
        version=1,
        created_at=at,
        updated_at=at,
    )
    submission.consultation = consultation
    _apply(session, user, submission, data)
    session.add(submission)
    session.flush()
    record_audit(session, user, "create", "submission", submission.id)
    session.commit()
    return submission


def update_submission(session: Session, user: User, submission_id: int, data: dict) -> Submission:
    submission = for_change(session, user, submission_id)
    _apply(session, user, submission, data)
    submission.version += 1
    submission.updated_at = now()
    record_audit(session, user, "update", "submission", submission.id, {"fields": sorted(data)})
    _commit_while_draft(session, submission)
    return submission


def delete_submission(session: Session, user: User, submission_id: int) -> None:
    submission = for_change(session, user, submission_id)
    record_audit(session, user, "delete", "submission", submission.id)
    session.delete(submission)
    session.commit()


def set_letterhead(session: Session, user: User, submission_id: int, content: bytes | None) -> Submission:
    """Replace the letterhead, or remove it with None."""
    submission = for_change(session, user, submission_id)
    submission.letterhead_type = letterhead_type(content) if content is not None else None
    submission.letterhead = content
    submission.version += 1
    submission.updated_at = now()
    record_audit(session, user, "letterhead", "submission", submission.id, {"bytes": len(content or b"")})
    _commit_while_draft(session, submission)
    return submission


# Rendering --------------------------------------------------------------------------------------------------


def request_render(session: Session, user: User | None, submission: Submission) -> SubmissionRender:
    """A queued render job for the submission as it is now; committed before any worker can look for it."""
    job = SubmissionRender(
        id=uuid.uuid4().hex,
        submission_id=submission.id,
        submission_version=submission.version,
        status="queued",
        requested_by_user_id=user.id if user else None,
        requested_at=now(),
    )
    session.add(job)
    if user is not None:
        record_audit(session, user, "render", "submission", submission.id, {"job": job.id})
    session.commit()
    return job


def start_job(session: Session, job_id: str, *, purpose: str) -> SubmissionRender:
    """The job, marked running and committed (again, when a worker that died left it running); a finished job is
    returned as it is, for the caller to leave alone."""
    job = session.get(SubmissionRender, job_id)
    if job is None or job.purpose != purpose:
        raise NotFound(f"{purpose} render job", job_id)
    if job.status not in ("done", "failed"):
        job.status, job.started_at = "running", now()
        session.commit()
    return job


def run_render(session: Session, job_id: str, progress: Progress | None = None) -> SubmissionRender:
    """Render a queued job. The PDF is stored in the same commit that marks the job done; a failure stores none."""
    job = start_job(session, job_id, purpose="draft")
    if job.status != "running":
        return job
    submission = session.get(Submission, job.submission_id)
    try:
        rendered = render_submission(session, submission, rendered_at=job.started_at, progress=progress)
    except Exception as error:
        session.rollback()
        job = session.get(SubmissionRender, job_id)
        job.status, job.finished_at = "failed", now()
        job.error = error.message if isinstance(error, ApiError) else f"The render failed: {type(error).__name__}."
        session.commit()
        if not isinstance(error, ApiError):
            log.exception("Render %s of submission %s failed", job_id, job.submission_id)
        return job
    job.pdf, job.sha256, job.pages = rendered.pdf, rendered.sha256, rendered.pages
    if progress:
        progress("drawing the preview")
    previews.store_page_images(session, job)
    job.status, job.finished_at = "done", now()
    session.commit()
    return job


def get_render(session: Session, user: User, submission_id: int, job_id: str) -> SubmissionRender:
    get_submission(session, user, submission_id)
    job = session.get(SubmissionRender, job_id)
    if job is None or job.submission_id != submission_id:
        raise NotFound("render job", job_id)
    return job


def latest_render(
    session: Session, user: User, submission_id: int, *, purpose: str = "draft"
) -> SubmissionRender | None:
    """The submission's most recently requested render job of this purpose (a draft's preview, or a filing),
    whatever its state; None before any."""
    submission = get_submission(session, user, submission_id)
    return session.scalar(
        select(SubmissionRender)
        .where(SubmissionRender.submission_id == submission.id, SubmissionRender.purpose == purpose)
        .order_by(SubmissionRender.requested_at.desc())
        .limit(1)
    )


def get_page_image(session: Session, user: User, submission_id: int, job_id: str, number: int) -> SubmissionRenderPage:
    """One page image of a finished render's preview, for whoever may read the submission."""
    job = get_render(session, user, submission_id, job_id)
    page = session.get(SubmissionRenderPage, (job.id, number))
    if page is None:
        raise NotFound("preview page", f"{job_id}/{number}")
    return page


@dataclass
class Document:
    pdf: bytes
    sha256: str
    filename: str
    version: int  # of the submission a draft render shows; 0 for the filed PDF


def latest_pdf(session: Session, user: User, submission_id: int) -> Document:
    """The filed PDF once filed; before that the newest finished render. Never a running or failed one."""
    submission = get_submission(session, user, submission_id)
    if submission.filing is not None:
        filing = submission.filing
        return Document(filing.pdf, filing.sha256, f"submission-{submission.id}-{filing.reference}.pdf", 0)
    job = session.scalar(
        select(SubmissionRender)
        .where(SubmissionRender.submission_id == submission.id, SubmissionRender.status == "done")
        .order_by(SubmissionRender.finished_at.desc(), SubmissionRender.requested_at.desc())
        .limit(1)
    )
    if job is None:
        raise NotFound("finished render of submission", str(submission_id))
    return Document(job.pdf, job.sha256, f"submission-{submission.id}-draft.pdf", job.submission_version)


def verify(session: Session, sha256: str) -> dict:
    """Public: was a document with this SHA-256 filed, when, and by which organisation (no personal data)."""
    digest = sha256.strip().lower()
    if len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
        raise ValidationFailed({"sha256": ["Give the document's SHA-256 as 64 hexadecimal characters."]})
    filing = session.scalar(select(SubmissionFiling).where(SubmissionFiling.sha256 == digest))
    if filing is None:
        return {"sha256": digest, "filed": False}
    submission = filing.submission
    return {
        "sha256": digest,
        "filed": True,
        "reference": filing.reference,
        "filed_at": filing.filed_at,
        "organisation": filing.organisation,
        "title": submission.title,
        "consultation": submission.consultation.slug,
        "stations": list(submission.stations),
        "pages": filing.pages,
    }
