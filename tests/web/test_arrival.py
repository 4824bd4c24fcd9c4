"""The deadline is judged on arrival, on the resident form as on the API.

A slow upload starts before 17:30 and finishes after it. The request body below moves the frozen clock forward
six seconds the moment anything reads it (the CSRF check, the form parser, the JSON guard), so a view that read
the clock itself would see a time after the deadline.
"""

import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import func, select

from consultation.catalog.demo import HISTORICAL_SLUG
from consultation.clock import now
from consultation.extensions import db
from consultation.intake.models import Response
from tests.web.conftest import Page

THE_2017_DEADLINE = datetime(2017, 10, 6, 16, 30, tzinfo=UTC)  # 17:30 British Summer Time
UPLOAD_TIME = timedelta(seconds=6)
STATION_URL = f"/consult/{HISTORICAL_SLUG}/stations/dagenham"
API_URL = f"/api/v1/consultations/{HISTORICAL_SLUG}/responses"
ANSWERS = {
    "connection": "live_nearby",
    "agreement": "strongly_disagree",
    "reporting": ["front_counter", "phone"],
    "impact": "My mother reports things at the counter.",
}


class SlowBody(io.BytesIO):
    """A request body whose first read happens UPLOAD_TIME after the request arrived."""

    def __init__(self, data: bytes, traveller):
        super().__init__(data)
        self.traveller = traveller
        self.arrived = False

    def _upload(self) -> None:
        if not self.arrived:
            self.arrived = True
            self.traveller.shift(UPLOAD_TIME)

    def read(self, *args):
        self._upload()
        return super().read(*args)

    def readinto(self, buffer):
        self._upload()
        return super().readinto(buffer)

    def readline(self, *args):
        self._upload()
        return super().readline(*args)


@pytest.fixture
def csrf_app(file_app):
    return file_app(WTF_CSRF_ENABLED=True)


def _stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def _csrf_token(client, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        return Page(client.get(STATION_URL).get_data(as_text=True)).find_all("input", name="csrf_token")[0]["value"]


def _post_web_form(app, start: datetime):
    client = app.test_client()
    token = _csrf_token(client, start - timedelta(minutes=1))  # the resident opened the page a minute earlier
    with time_machine.travel(start, tick=False) as traveller:
        form = {
            "csrf_token": token,
            "answer-connection": "live_nearby",
            "answer-agreement": "strongly_disagree",
            "answer-impact": "My mother reports things at the counter.",
        }
        body = urlencode(form).encode()
        return client.post(
            STATION_URL,
            input_stream=SlowBody(body, traveller),
            content_length=len(body),
            content_type="application/x-www-form-urlencoded",
        )


def test_the_slow_body_moves_the_clock_when_read():
    with time_machine.travel(THE_2017_DEADLINE, tick=False) as traveller:
        body = SlowBody(b"x", traveller)
        before = now()
        body.read()
        assert now() - before == UPLOAD_TIME


def _post_api(app, start: datetime):
    body = json.dumps({"station": "dagenham", "answers": ANSWERS}).encode()
    with time_machine.travel(start, tick=False) as traveller:
        return app.test_client().post(
            API_URL, input_stream=SlowBody(body, traveller), content_length=len(body), content_type="application/json"
        )


def test_a_form_that_arrives_4_seconds_before_the_deadline_and_finishes_2_seconds_after_is_accepted(csrf_app):
    response = _post_web_form(csrf_app, THE_2017_DEADLINE - timedelta(seconds=4))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert _stored(csrf_app) == 1


def test_a_form_that_arrives_at_the_deadline_is_refused_however_fast_it_is(csrf_app):
    response = _post_web_form(csrf_app, THE_2017_DEADLINE)
    assert response.status_code == 409
    assert "This consultation has closed" in response.get_data(as_text=True)
    assert _stored(csrf_app) == 0


def test_an_api_response_that_arrives_4_seconds_before_the_deadline_and_finishes_after_it_is_accepted(csrf_app):
    response = _post_api(csrf_app, THE_2017_DEADLINE - timedelta(seconds=4))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["received_at"] == "2017-10-06T16:29:56Z"
    assert _stored(csrf_app) == 1


def test_an_api_response_that_arrives_at_the_deadline_is_refused(csrf_app):
    response = _post_api(csrf_app, THE_2017_DEADLINE)
    assert response.status_code == 409 and response.get_json()["code"] == "consultation_closed"
    assert _stored(csrf_app) == 0
