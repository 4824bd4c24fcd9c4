"""The deadline: the server's clock, read once when the request arrives, compared in Europe/London."""

from datetime import UTC, datetime, timedelta

import pytest

from consultation.clock import london_wall_time
from consultation.errors import ApiError
from consultation.intake import service
from tests.intake.conftest import assert_error, make_consultation

MILLISECOND = timedelta(milliseconds=1)

# (closing day, the deadline in UTC, how residents read it)
DEADLINES = {
    "bst": ((2017, 10, 6), datetime(2017, 10, 6, 16, 30, tzinfo=UTC), "17:30 on Friday 6 October 2017"),
    "gmt": ((2017, 12, 1), datetime(2017, 12, 1, 17, 30, tzinfo=UTC), "17:30 on Friday 1 December 2017"),
    "clocks_forward_day": ((2017, 3, 26), datetime(2017, 3, 26, 16, 30, tzinfo=UTC), "17:30 on Sunday 26 March 2017"),
    "clocks_back_day": ((2017, 10, 29), datetime(2017, 10, 29, 17, 30, tzinfo=UTC), "17:30 on Sunday 29 October 2017"),
}


@pytest.fixture(params=list(DEADLINES))
def deadline(request, boroughs):
    (year, month, day), closes_at_utc, text = DEADLINES[request.param]
    closes_at = london_wall_time(year, month, day, 17, 30)
    assert closes_at == closes_at_utc  # zoneinfo, not a fixed offset, decided GMT or BST
    make_consultation("deadline-test", opens_at=datetime(2017, 1, 2, tzinfo=UTC), closes_at=closes_at)
    return closes_at, text


def test_a_response_one_millisecond_before_1730_london_time_is_accepted(submit, freeze, deadline):
    closes_at, _ = deadline
    freeze(closes_at - MILLISECOND)
    response = submit(slug="deadline-test")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["received_at"] == (closes_at - MILLISECOND).isoformat().replace("+00:00", "Z")


def test_a_response_at_1730_london_time_exactly_is_refused_naming_the_london_deadline(submit, freeze, deadline):
    closes_at, text = deadline
    freeze(closes_at)
    body = assert_error(submit(slug="deadline-test"), 409, "consultation_closed")
    assert body["message"] == f"This consultation closed at {text} (London time)."


def test_a_response_long_after_the_deadline_is_refused(submit, freeze, deadline):
    closes_at, _ = deadline
    freeze(closes_at + timedelta(days=400))
    assert_error(submit(slug="deadline-test"), 409, "consultation_closed")


def test_the_historical_2017_consultation_refuses_online_submissions_in_london_time(client, demo):
    response = client.post(
        "/api/v1/consultations/public-access-2017/responses",
        json={"station": "dagenham", "answers": {"connection": "live_nearby", "agreement": "disagree"}},
    )
    body = assert_error(response, 409, "consultation_closed")
    assert body["message"] == "This consultation closed at 17:30 on Friday 6 October 2017 (London time)."


def test_a_response_before_the_consultation_opens_is_refused_naming_the_opening_time(submit, freeze, boroughs):
    make_consultation(
        "later", opens_at=london_wall_time(2030, 1, 7, 9, 0), closes_at=london_wall_time(2030, 3, 1, 17, 30)
    )
    freeze(datetime(2029, 12, 31, 12, 0, tzinfo=UTC))
    body = assert_error(submit(slug="later"), 409, "consultation_not_open")
    assert body["message"] == "This consultation opens at 09:00 on Monday 7 January 2030 (London time)."


def test_the_deadline_is_checked_before_the_answers(submit, freeze, deadline):
    freeze(deadline[0])
    assert_error(submit(slug="deadline-test", answers={"nonsense": 1}), 409, "consultation_closed")


def test_a_request_that_arrives_before_the_deadline_and_finishes_after_it_is_on_time(
    submit, freeze, deadline, monkeypatch
):
    """The received time is taken when the request arrives; slow checking or committing does not make it late."""
    closes_at, _ = deadline
    freeze(closes_at - MILLISECOND)
    checking = service.check_answers

    def slow_check(*args, **kwargs):
        freeze(closes_at + timedelta(seconds=2))
        return checking(*args, **kwargs)

    monkeypatch.setattr(service, "check_answers", slow_check)
    response = submit(slug="deadline-test")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["received_at"] == (closes_at - MILLISECOND).isoformat().replace("+00:00", "Z")


def test_a_client_cannot_choose_its_received_time(submit, freeze, deadline):
    freeze(deadline[0] + timedelta(minutes=5))
    late = submit(slug="deadline-test", headers={"Date": "Fri, 06 Oct 2017 16:00:00 GMT"})
    assert_error(late, 409, "consultation_closed")
    body = assert_error(submit(slug="deadline-test", received_at="2017-01-03T00:00:00Z"), 422, "validation_error")
    assert "received_at" in body["errors"]


def test_check_open_compares_instants_not_wall_clocks(boroughs):
    consultation = make_consultation(
        "check", opens_at=datetime(2017, 1, 2, tzinfo=UTC), closes_at=london_wall_time(2017, 10, 29, 17, 30)
    )
    # 17:29:59.999 GMT on the day the clocks went back is 17:29:59.999 UTC, and 18:29:59.999 in BST terms.
    service.check_open(consultation, datetime(2017, 10, 29, 17, 29, 59, 999000, tzinfo=UTC))
    with pytest.raises(ApiError) as refused:
        service.check_open(consultation, datetime(2017, 10, 29, 17, 30, tzinfo=UTC))
    assert refused.value.code == "consultation_closed" and refused.value.status == 409
    with pytest.raises(ApiError) as early:
        service.check_open(consultation, datetime(2017, 1, 1, 23, 59, tzinfo=UTC))
    assert early.value.code == "consultation_not_open"
