"""A new title once anyone has signed needs a reason; the change is audited with the old and new title."""

from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.extensions import db
from consultation.petitions.models import Petition
from tests.intake.conftest import assert_error


def patch(client, auth, petition, body, role="organiser"):
    return client.patch(f"/api/v1/petitions/{petition}", json=body, headers=auth(role))


def updates(session, petition) -> list[dict]:
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "update", AuditEvent.object_id == str(petition))
        .order_by(AuditEvent.id)
    )
    return [event.details for event in events]


def test_before_anyone_signs_a_new_title_needs_no_reason_and_is_audited(client, auth, petition, session):
    reply = patch(client, auth, petition, {"title": "Save Dagenham's counter"})
    assert reply.status_code == 200, reply.get_json()
    assert updates(session, petition) == [
        {"fields": ["title"], "old_title": "Keep Dagenham open", "new_title": "Save Dagenham's counter"}
    ]


def test_after_a_signature_a_new_title_without_a_reason_is_refused(client, auth, petition, sign):
    assert sign(petition).status_code == 202  # pending: someone has signed all the same
    for body in ({"title": "Close it after all"}, {"title": "Close it after all", "reason": "   "}):
        refused = assert_error(patch(client, auth, petition, body), 422, "validation_error")
        assert set(refused["errors"]) == {"reason"}
    db.session.expire_all()
    assert db.session.get(Petition, petition).title == "Keep Dagenham open"


def test_after_a_signature_a_new_title_with_a_reason_is_kept_with_the_old_one(client, auth, petition, sign, session):
    assert sign(petition).status_code == 202
    body = {"title": "Keep Dagenham's counter open", "reason": "  Say which service we mean  "}
    reply = patch(client, auth, petition, body)
    assert reply.status_code == 200 and reply.get_json()["title"] == "Keep Dagenham's counter open"
    assert updates(session, petition)[-1] == {
        "fields": ["title"],
        "old_title": "Keep Dagenham open",
        "new_title": "Keep Dagenham's counter open",
        "reason": "Say which service we mean",
    }


def test_after_a_signature_the_text_or_the_same_title_changes_without_a_reason(client, auth, petition, sign, session):
    assert sign(petition).status_code == 202
    reply = patch(client, auth, petition, {"title": " Keep Dagenham open ", "text": "Keep the counter open, please."})
    assert reply.status_code == 200, reply.get_json()
    assert updates(session, petition)[-1] == {"fields": ["text", "title"]}


def test_a_reason_alone_changes_nothing(client, auth, petition):
    assert_error(patch(client, auth, petition, {"reason": "No change"}), 422, "validation_error")
    assert_error(patch(client, auth, petition, {"title": "x" * 10, "reason": "r" * 501}), 422, "validation_error")
