import hashlib
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from consultation.errors import ValidationFailed
from consultation.intake import events, references, service
from consultation.intake.models import Answer, Respondent, Response, ResponseRevision
from tests.intake.conftest import GOOD_ANSWERS, assert_error

REFERENCE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{2}$")


def test_a_valid_response_is_stored_with_a_readable_reference_and_a_secret_edit_token(
    submit, session, consultation, during
):
    response = submit(
        respondent={
            "name": "Ann Resident",
            "email": "ann@example.org",
            "postcode": "rm10 8ab",
            "respondent_type": "resident",
        },
        consent_to_publish=True,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert REFERENCE.match(body["reference"])
    assert body["received_at"] == "2017-06-01T12:00:00Z"
    assert body["received_at_london"] == "2017-06-01T13:00:00+01:00"
    assert body["station"] == "dagenham"
    stored = session.scalar(select(Response).where(Response.reference == body["reference"]))
    assert stored.channel == "online" and stored.late is False and stored.consent_to_publish is True
    assert stored.respondent_type == "resident"
    assert stored.edit_token_hash == hashlib.sha256(body["edit_token"].encode()).hexdigest()
    assert stored.respondent.postcode == "RM10 8AB" and stored.respondent.email == "ann@example.org"
    answers = {answer.question.code: answer.text or answer.value for answer in stored.answers}
    assert answers == {
        "connection": "live_nearby",
        "agreement": "disagree",
        "reporting": ["phone", "online"],
        "why": "Too far.",
    }
    revision = session.scalar(select(ResponseRevision).where(ResponseRevision.response_id == stored.id))
    assert (revision.version, revision.change, revision.answers["reporting"]) == (1, "created", ["phone", "online"])


def test_a_response_without_a_respondent_record_stores_no_personal_data(submit, session, consultation, during):
    assert submit().status_code == 201
    assert session.scalar(select(func.count(Respondent.id))) == 0


def test_missing_required_answers_are_refused_question_by_question(submit, consultation, during):
    body = assert_error(submit(answers={"why": "No"}), 422, "validation_error")
    assert body["errors"] == {
        "answers.connection": ["This question is required."],
        "answers.agreement": ["This question is required."],
    }


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({**GOOD_ANSWERS, "connection": "on_the_moon"}, "answers.connection"),
        ({**GOOD_ANSWERS, "agreement": "very_strongly_agree"}, "answers.agreement"),
        ({**GOOD_ANSWERS, "agreement": 3}, "answers.agreement"),
        ({**GOOD_ANSWERS, "reporting": ["carrier_pigeon"]}, "answers.reporting"),
        ({**GOOD_ANSWERS, "reporting": "phone"}, "answers.reporting"),
        ({**GOOD_ANSWERS, "reporting": ["phone", "phone"]}, "answers.reporting"),
        ({**GOOD_ANSWERS, "why": "x" * 51}, "answers.why"),
        ({**GOOD_ANSWERS, "why": ["not", "text"]}, "answers.why"),
        ({**GOOD_ANSWERS, "favourite_colour": "blue"}, "answers.favourite_colour"),
    ],
)
def test_answers_that_break_the_questionnaire_are_refused(submit, consultation, during, answers, field):
    body = assert_error(submit(answers=answers), 422, "validation_error")
    assert list(body["errors"]) == [field]


def test_free_text_at_the_length_cap_is_accepted(submit, consultation, during):
    assert submit(answers={**GOOD_ANSWERS, "why": "x" * 50}).status_code == 201


def test_an_unknown_station_is_refused(submit, consultation, during):
    body = assert_error(submit(station="atlantis"), 422, "validation_error")
    assert "station" in body["errors"]


@pytest.mark.parametrize(
    ("respondent", "field"),
    [
        ({"postcode": "NOT A CODE"}, "respondent.postcode"),
        ({"postcode": "RM10 8A"}, "respondent.postcode"),
        ({"email": "ann-at-example.org"}, "respondent.email"),
        ({"respondent_type": "alien"}, "respondent.respondent_type"),
    ],
)
def test_a_respondent_record_in_a_bad_format_is_refused(submit, consultation, during, respondent, field):
    body = assert_error(submit(respondent=respondent), 422, "validation_error")
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "sw1a1aa", "E1 6AN", "W1A 0AX", "IG8 0AA", "M1 1AE"])
def test_valid_uk_postcodes_are_accepted(submit, consultation, during, postcode):
    assert submit(respondent={"postcode": postcode, "respondent_type": "elected_representative"}).status_code == 201


@pytest.mark.parametrize("postcode", ["RM10 9ZZ", "GIR 0AA"])
def test_a_well_formed_postcode_the_ons_directory_does_not_know_is_refused(submit, consultation, during, postcode):
    body = assert_error(submit(respondent={"postcode": postcode}), 422, "validation_error")
    assert body["errors"]["respondent.postcode"] == [
        "We could not find this postcode. Check it and enter it again, for example RM10 7TU."
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"station": "dagenham", "answers": GOOD_ANSWERS, "received_at": "2017-01-01T00:00:00Z"},
        {"station": "dagenham", "answers": ["not", "a", "dict"]},
        {"station": 7, "answers": GOOD_ANSWERS},
        {"answers": GOOD_ANSWERS},
        {"station": "dagenham", "answers": GOOD_ANSWERS, "respondent": "Ann"},
        {"station": "dagenham", "answers": GOOD_ANSWERS, "respondent": {"shoe_size": "9"}},
    ],
)
def test_malformed_bodies_get_the_error_shape_never_a_500(client, consultation, during, body):
    response = client.post("/api/v1/consultations/library-hours/responses", json=body)
    assert_error(response, 422, "validation_error")


def test_a_body_that_is_not_json_is_refused(client, consultation, during):
    response = client.post(
        "/api/v1/consultations/library-hours/responses", data="{oops", content_type="application/json"
    )
    assert_error(response, 400, "malformed_json")


def test_an_unknown_consultation_is_a_404(submit, consultation, during):
    assert_error(submit(slug="no-such-consultation"), 404, "not_found")


def test_references_use_only_unambiguous_characters():
    drawn = references.draw_references(2000)
    assert len(set(drawn)) == 2000
    assert all(REFERENCE.match(reference) for reference in drawn)
    assert not set("".join(drawn)) & set("01OILU")


def test_references_drawn_in_bulk_have_an_even_spread_of_characters():
    drawn = references.draw_references(5000)
    assert len(drawn) == len(set(drawn)) == 5000
    counts = {char: 0 for char in references.REFERENCE_ALPHABET}
    for char in "".join(drawn).replace("-", ""):
        counts[char] += 1
    assert min(counts.values()) > 0.8 * 50000 / 30  # no character is starved by the byte mapping


def test_a_reference_typed_by_a_person_is_found(session, consultation, during):
    receipt = service.submit_response(session, slug="library-hours", station="barking", answers=GOOD_ANSWERS)
    typed = receipt.reference.replace("-", " ").lower()
    assert service.get_response_by_reference(session, typed).id == receipt.response_id


def test_a_reference_already_stored_is_drawn_again(session, consultation, during, monkeypatch):
    first = service.submit_response(session, slug="library-hours", station="barking", answers=GOOD_ANSWERS)
    draws = iter([[first.reference], ["ABCD-EFGH-JK"]])
    monkeypatch.setattr(references, "draw_references", lambda count: next(draws))
    second = service.submit_response(session, slug="library-hours", station="barking", answers=GOOD_ANSWERS)
    assert second.reference == "ABCD-EFGH-JK"
    assert session.scalar(select(func.count(Response.id))) == 2


def test_allocated_references_are_distinct_among_themselves_and_from_stored_ones(session, monkeypatch):
    draws = iter([["AAAA-AAAA-AA", "AAAA-AAAA-AA", "BBBB-BBBB-BB"], ["CCCC-CCCC-CC"]])
    monkeypatch.setattr(references, "draw_references", lambda count: next(draws))
    assert references.allocate_references(session, 3) == ["AAAA-AAAA-AA", "BBBB-BBBB-BB", "CCCC-CCCC-CC"]


def test_the_service_refuses_bad_answers_with_keys_the_web_form_can_place(session, consultation, during):
    with pytest.raises(ValidationFailed) as refused:
        service.submit_response(
            session,
            slug="library-hours",
            station="dagenham",
            answers={"agreement": "maybe"},
            respondent={"postcode": "12345"},
        )
    assert set(refused.value.errors) == {"answers.connection", "answers.agreement", "respondent.postcode"}
    assert session.scalar(select(func.count(Response.id))) == 0


def test_the_service_takes_the_received_time_from_its_caller(session, consultation, during):
    arrived = datetime(2017, 6, 1, 11, 59, 59, tzinfo=UTC)
    receipt = service.submit_response(
        session, slug="library-hours", station="dagenham", answers=GOOD_ANSWERS, received_at=arrived
    )
    assert receipt.received_at == arrived
    assert service.get_response_by_reference(session, receipt.reference).received_at == arrived


def test_listeners_hear_about_accepted_responses_and_a_failing_listener_loses_nothing(
    submit, session, consultation, during, monkeypatch
):
    heard = []

    def failing(sender, *, response_ids):
        raise RuntimeError("analysis is down")

    def hear(sender, *, response_ids):
        heard.extend(response_ids)

    with events.responses_committed.connected_to(failing), events.responses_committed.connected_to(hear):
        response = submit()
    assert response.status_code == 201
    stored = session.scalar(select(Response).where(Response.reference == response.get_json()["reference"]))
    assert heard == [stored.id]


def test_answers_are_not_stored_for_unanswered_optional_questions(submit, session, consultation, during):
    assert (
        submit(answers={"connection": "work_nearby", "agreement": "agree", "why": "   ", "reporting": []}).status_code
        == 201
    )
    assert session.scalar(select(func.count(Answer.id))) == 2


def test_questions_cannot_be_replaced_once_responses_exist(client, auth, consultation, submit, during):
    assert submit().status_code == 201
    response = client.patch(
        "/api/v1/consultations/library-hours",
        json={"stations": [{"slug": "x", "name": "X", "borough": "E09000002", "proposal": "close"}]},
        headers=auth("admin"),
    )
    assert_error(response, 409, "consultation_has_responses")
