"""Lateness follows the deadline: moving closes_at re-judges the responses already stored, both ways."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from consultation.intake.models import Response
from tests.intake.conftest import csv_upload

IMPORT_URL = "/api/v1/consultations/library-hours/responses/import"
CONSULTATION_URL = "/api/v1/consultations/library-hours"
AGGREGATES_URL = "/api/v1/consultations/library-hours/aggregates"
HEADER = "channel,received_at,station,connection,agreement"


@pytest.fixture
def imported(client, auth, consultation, freeze):
    """Paper responses received on 5 October (on time) and 7 October (a day late), imported in November."""
    freeze(datetime(2017, 11, 1, 12, 0, tzinfo=UTC))
    text = "\n".join(
        [
            HEADER,
            "paper,2017-10-05 12:00,dagenham,live_nearby,disagree",
            "paper,2017-10-07 12:00,dagenham,live_nearby,disagree",
        ]
    )
    response = client.post(IMPORT_URL, data=csv_upload(text), headers=auth("reviewer"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["late"] == 1


def _late_by_day(session) -> dict[int, bool]:
    session.expire_all()
    return {row.received_at.day: row.late for row in session.scalars(select(Response))}


def _counted(client, auth) -> int:
    body = client.get(AGGREGATES_URL, headers=auth("reviewer")).get_json()
    return body["overall"]["total"]


def _move_deadline(client, auth, closes_at: str) -> None:
    response = client.patch(CONSULTATION_URL, json={"closes_at": closes_at}, headers=auth("admin"))
    assert response.status_code == 200, response.get_json()


def test_a_later_deadline_makes_a_late_paper_response_count(client, auth, session, imported):
    assert _late_by_day(session) == {5: False, 7: True}
    assert _counted(client, auth) == 1

    _move_deadline(client, auth, "2017-10-20T17:30:00+01:00")

    assert _late_by_day(session) == {5: False, 7: False}
    assert _counted(client, auth) == 2


def test_an_earlier_deadline_makes_responses_after_it_late(client, auth, session, imported):
    _move_deadline(client, auth, "2017-10-04T17:30:00+01:00")

    assert _late_by_day(session) == {5: True, 7: True}
    assert _counted(client, auth) == 0


def test_moving_the_deadline_back_restores_the_first_judgement(client, auth, session, imported):
    _move_deadline(client, auth, "2017-10-20T17:30:00+01:00")
    _move_deadline(client, auth, "2017-10-06T17:30:00+01:00")

    assert _late_by_day(session) == {5: False, 7: True}
    assert _counted(client, auth) == 1


def test_a_response_at_the_new_deadline_itself_is_late(client, auth, session, imported):
    _move_deadline(client, auth, "2017-10-07T12:00:00+01:00")

    assert _late_by_day(session) == {5: False, 7: True}


def test_other_changes_leave_lateness_alone(client, auth, session, imported):
    response = client.patch(CONSULTATION_URL, json={"title": "New title"}, headers=auth("admin"))
    assert response.status_code == 200
    assert _late_by_day(session) == {5: False, 7: True}
