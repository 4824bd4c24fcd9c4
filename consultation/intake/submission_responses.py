"""Filed formal submissions, recorded as responses: one per station, with channel "submission".

The submission itself (its document, hash and receipt) lives with the submissions room above; intake records
only that it arrived, when, and about which stations, so reviewers see it among the responses.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from consultation.accounts.permissions import resolve_stations
from consultation.catalog.service import get_consultation
from consultation.clock import as_utc
from consultation.intake.models import Response, ResponseRevision
from consultation.intake.references import allocate_references
from consultation.intake.service import check_open


def record_submission_responses(
    session: Session, *, slug: str, station_slugs: list[str], received_at: datetime, respondent_type: str
) -> list[Response]:
    """A filed formal submission, recorded as one response (channel "submission") per station it covers.

    The caller has already applied the deadline rule and commits together with its own records, then announces
    the new ids with `events.responses_changed`. The document itself lives with the submission, not here.
    """
    consultation = get_consultation(session, slug)
    check_open(consultation, received_at)
    stations = resolve_stations(None, consultation.stations, station_slugs)
    references = iter(allocate_references(session, len(stations)))
    responses = []
    for station in stations:
        response = Response(
            consultation_id=consultation.id,
            station_id=station.id,
            reference=next(references),
            respondent_type=respondent_type,
            channel="submission",
            received_at=as_utc(received_at),
            late=False,
            status="active",
            consent_to_publish=False,
            edit_token_hash=None,
            version=1,
            created_at=as_utc(received_at),
            updated_at=as_utc(received_at),
        )
        session.add(response)
        session.flush()
        session.add(
            ResponseRevision(
                response_id=response.id,
                version=1,
                change="created",
                station_id=station.id,
                answers={},
                status="active",
                changed_at=as_utc(received_at),
            )
        )
        responses.append(response)
    return responses
