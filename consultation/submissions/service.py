"""Submissions: drawing them up, rendering them, filing them before the deadline, verifying a filed PDF.

Who may do what: an organiser creates submissions for stations in their own boroughs and bundles only petitions
they own; they see and change only their own. Reviewers and admins read every submission; admins may also change
them. Filing uses intake's deadline rule as it stands: the arrival time, taken once by the route, must be before
the consultation's `closes_at` (17:30:00.000 London time is late). Once filed, a submission is frozen: every
change gets 409 `submission_filed`.
"""

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.catalog.models import Consultation
from consultation.catalog.service import get_consultation
from consultation.clock import as_utc, now
from consultation.errors import ApiError, Forbidden, NotFound, ValidationFailed
from consultation.intake import events as intake_events
from consultation.intake import service as intake
from consultation.intake.submissions import record_submission_responses
from consultation.petitions import service as petitions_service
from consultation.submissions.letterhead import letterhead_type
from consultation.submissions.markup import list_depth_problem
from consultation.submissions.models import Submission, SubmissionFiling, SubmissionRender
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
# Easy to read aloud: no 0/O, 1/I/L, and no U.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

log = logging.getLogger(__name__)


class SubmissionFiled(ApiError):
    def __init__(self, submission: Submission):
        super().__init__(
            409,
            "submission_filed",
            f"Submission {submission.id} was filed and is frozen; it can no longer be changed.",
        )


# Access ------------------------------------------------------------------------------------------------------


def _may_read(user: User, submission: Submission) -> bool:
    return user.role in ("admin", "reviewer") or submission.owner_id == user.id


def _may_change(user: User, submission: Submission) -> bool:
    return user.role == "admin" or submission.owner_id == user.id


def get_submission(session: Session, user: User, submission_id: int) -> Submission:
    """The submission if this user may read it: 404 when it does not exist, 403 when it is someone else's."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("submission", str(submission_id))
    if not _may_read(user, submission):
        raise Forbidden("This submission belongs to another organiser.")
    return submission


def _for_change(session: Session, user: User, submission_id: int) -> Submission:
    submission = get_submission(session, user, submission_id)
    if not _may_change(user, submission):
        raise Forbidden("Only the submission's organiser or an admin may change it.")
    if submission.status == "filed":
        raise SubmissionFiled(submission)
    return submission


def list_submissions(session: Session, user: User) -> list[Submission]:
    """Organisers see their own; reviewers and admins see every submission."""
    query = select(Submission).order_by(Submission.id)
    if user.role == "organiser":
        query = query.where(Submission.owner_id == user.id)
    return list(session.scalars(query))


# Checking what an organiser asks for ------------------------------------------------------------------------


def _check_stations(user: User, consultation: Consultation, slugs: list[str]) -> list[str]:
    by_slug = {station.slug: station for station in consultation.stations}
    errors, seen = [], []
    for slug in slugs:
        station = by_slug.get(slug)
        if station is None:
            errors.append(f"No station {slug!r} in consultation {consultation.slug!r}.")
        elif slug in seen:
            errors.append(f"Station {slug!r} is listed twice.")
        else:
            if user.role == "organiser" and station.borough_id not in user.borough_ids:
                raise Forbidden(f"Station {slug!r} is outside the boroughs your token is scoped to.")
            seen.append(slug)
    if errors:
        raise ValidationFailed({"stations": errors})
    if not seen:
        raise ValidationFailed({"stations": ["Choose at least one station."]})
    return seen


def _check_petitions(session: Session, user: User, consultation: Consultation, ids: list[int]) -> list[int]:
    if not ids:
        return []
    checked = []
    for petition_id in ids:
        try:
            petition = petitions_service.get_petition(session, petition_id)
        except ApiError:
            raise ValidationFailed({"petitions": [f"No petition {petition_id}."]}) from None
        if user.role != "admin" and petition.owner_id != user.id:
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
    if user.role not in ("organiser", "admin"):
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
    submission = _for_change(session, user, submission_id)
    _apply(session, user, submission, data)
    submission.version += 1
    submission.updated_at = now()
    record_audit(session, user, "update", "submission", submission.id, {"fields": sorted(data)})
    session.commit()
    return submission


def delete_submission(session: Session, user: User, submission_id: int) -> None:
    submission = _for_change(session, user, submission_id)
    record_audit(session, user, "delete", "submission", submission.id)
    session.delete(submission)
    session.commit()


def set_letterhead(session: Session, user: User, submission_id: int, content: bytes | None) -> Submission:
    """Replace the letterhead, or remove it with None."""
    submission = _for_change(session, user, submission_id)
    submission.letterhead_type = letterhead_type(content) if content is not None else None
    submission.letterhead = content
    submission.version += 1
    submission.updated_at = now()
    record_audit(session, user, "letterhead", "submission", submission.id, {"bytes": len(content or b"")})
    session.commit()
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


def run_render(session: Session, job_id: str, progress: Progress | None = None) -> SubmissionRender:
    """Render a queued job. The PDF is stored in the same commit that marks the job done; a failure stores none."""
    job = session.get(SubmissionRender, job_id)
    if job is None:
        raise NotFound("render job", job_id)
    if job.status in ("done", "failed"):
        return job
    job.status, job.started_at = "running", now()
    session.commit()
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
    job.status, job.finished_at = "done", now()
    session.commit()
    return job


def get_render(session: Session, user: User, submission_id: int, job_id: str) -> SubmissionRender:
    get_submission(session, user, submission_id)
    job = session.get(SubmissionRender, job_id)
    if job is None or job.submission_id != submission_id:
        raise NotFound("render job", job_id)
    return job


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


# Filing -----------------------------------------------------------------------------------------------------


def _filing_reference() -> str:
    """'SUB-7K4M-P9QX': 'SUB-' and eight characters a person can read out over the phone."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SUB-{chars[:4]}-{chars[4:]}"


def file_submission(session: Session, user: User, submission_id: int, *, received_at: datetime) -> SubmissionFiling:
    """File before the deadline: render the final PDF, store it with its SHA-256, freeze the submission and
    record it as a `submission` response for each of its stations, all in one commit."""
    received_at = as_utc(received_at)
    submission = _for_change(session, user, submission_id)
    intake.check_open(submission.consultation, received_at)
    if not submission.stations:
        raise ValidationFailed({"stations": ["Choose at least one station before filing."]})
    reference = _filing_reference()
    rendered = render_submission(
        session, submission, rendered_at=received_at, filing={"reference": reference, "filed_at": received_at}
    )
    responses = record_submission_responses(
        session,
        slug=submission.consultation.slug,
        station_slugs=list(submission.stations),
        received_at=received_at,
        respondent_type="organisation",
    )
    filing = SubmissionFiling(
        submission_id=submission.id,
        reference=reference,
        filed_at=received_at,
        filed_by_user_id=user.id,
        organisation=submission.organisation,
        sha256=rendered.sha256,
        pdf=rendered.pdf,
        pages=rendered.pages,
        response_references=[response.reference for response in responses],
    )
    session.add(filing)
    submission.status = "filed"
    submission.updated_at = received_at
    record_audit(
        session, user, "file", "submission", submission.id, {"reference": reference, "sha256": rendered.sha256}
    )
    session.commit()
    intake_events.responses_changed([response.id for response in responses])
    return filing


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
