"""One response as a reviewer reads it in the console: its answers in question order, its versions, and (only
for a role allowed to, only when asked, and audited) the respondent's personal details."""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from consultation.accounts.models import User
from consultation.accounts.permissions import PERSONAL_DATA_ROLES, ensure_borough_access, has_role
from consultation.accounts.service import record_audit
from consultation.catalog.models import Consultation
from consultation.errors import Forbidden, NotFound
from consultation.intake.models import Answer, Response, ResponseRevision


def get_response(session: Session, user: User, consultation: Consultation, response_id: int) -> Response:
    """The response, if it belongs to this consultation and lies in this user's boroughs (else 404 or 403)."""
    response = session.scalar(
        select(Response)
        .where(Response.id == response_id, Response.consultation_id == consultation.id)
        .options(joinedload(Response.station), selectinload(Response.answers).joinedload(Answer.question))
    )
    if response is None:
        raise NotFound("response", str(response_id))
    ensure_borough_access(user, response.station.borough_id)
    return response


def response_view(session: Session, user: User, consultation: Consultation, response_id: int) -> dict:
    """Answers (question prompt and value, in questionnaire order) and the history of versions."""
    response = get_response(session, user, consultation, response_id)
    answers = sorted(response.answers, key=lambda answer: answer.question.position)
    revisions = session.scalars(
        select(ResponseRevision).where(ResponseRevision.response_id == response.id).order_by(ResponseRevision.version)
    ).all()
    return {
        "response": response,
        "answers": [
            {
                "prompt": answer.question.prompt,
                "kind": answer.question.kind,
                "value": answer.text if answer.question.kind == "free_text" else answer.value,
            }
            for answer in answers
        ],
        "revisions": [
            {"version": item.version, "change": item.change, "status": item.status, "changed_at": item.changed_at}
            for item in revisions
        ],
    }


def personal_details(session: Session, user: User, consultation: Consultation, response_id: int) -> dict | None:
    """The respondent's name, email, postcode and address, for a reviewer or admin who asked; audited. Commits."""
    if not has_role(user, PERSONAL_DATA_ROLES):
        raise Forbidden("Only reviewers and admins may read respondents' personal data.")
    response = get_response(session, user, consultation, response_id)
    respondent = response.respondent
    record_audit(session, user, "read_personal_data", "response", response.reference, {"page": "console"})
    session.commit()
    if respondent is None:
        return None
    return {
        "name": respondent.name,
        "email": respondent.email,
        "postcode": respondent.postcode,
        "address": respondent.address,
    }
