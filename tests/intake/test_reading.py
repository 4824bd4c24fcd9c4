from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.extensions import db
from consultation.intake import service
from consultation.intake.imports import import_responses
from tests.intake.conftest import GOOD_ANSWERS, assert_error

URL = "/api/v1/consultations/library-hours/responses"


@pytest.fixture
def responses(session, tokens, consultation, freeze):
    """Three online responses an hour apart, then a paper one and a late email one imported after the deadline."""
    start = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
    for hour, station in enumerate(["dagenham", "barking", "woodford"]):
        service.submit_response(
            session,
            slug="library-hours",
            station=station,
            answers=GOOD_ANSWERS,
            respondent={"name": f"Resident {hour}", "email": f"r{hour}@example.org"},
            received_at=start + timedelta(hours=hour),
        )
    freeze(datetime(2017, 11, 1, tzinfo=UTC))
    text = (
        "channel,received_at,station,connection,agreement,name\n"
        "paper,2017-07-01 10:00,woodford,live_nearby,agree,Paper Person\n"
        "email,2017-10-10 10:00,dagenham,work_nearby,disagree,\n"
    )
    # Through the service, not the API: within one test the app context (and so flask.g, which caches the
    # authenticated user) is shared by every request, so each test below makes requests as one role only.
    assert (
        import_responses(session, None, slug="library-hours", filename="post.csv", content=text.encode()).imported == 2
    )


def _references(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["station"] + ":" + item["channel"] for item in response.get_json()["responses"]]


def test_reviewers_read_every_response_oldest_first_without_personal_data(client, auth, responses):
    body = client.get(URL, headers=auth("reviewer")).get_json()
    assert [item["station"] for item in body["responses"]] == [
        "dagenham",
        "barking",
        "woodford",
        "woodford",
        "dagenham",
    ]
    assert all(item["respondent"] is None for item in body["responses"])
    assert "example.org" not in str(body) and "Paper Person" not in str(body)
    assert body["responses"][0]["answers"]["reporting"] == ["phone", "online"]
    assert body["responses"][0]["borough"] == "E09000002"
    assert body["next_cursor"] is None


def test_personal_data_only_on_explicit_request_and_every_such_read_is_audited(client, session, auth, responses):
    body = client.get(URL + "?include_personal_data=true&channel=online", headers=auth("reviewer")).get_json()
    assert [item["respondent"]["email"] for item in body["responses"]] == [
        "r0@example.org",
        "r1@example.org",
        "r2@example.org",
    ]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "read_personal_data"))
    assert event.object_id == "library-hours"
    assert event.details["filters"] == {"channel": "online"}
    assert event.details["references"] == [item["reference"] for item in body["responses"]]


def test_organisers_may_not_ask_for_personal_data(client, auth, responses):
    assert_error(client.get(URL + "?include_personal_data=true", headers=auth("organiser")), 403, "forbidden")


def test_organisers_see_only_their_own_boroughs(client, auth, responses):
    assert _references(client.get(URL, headers=auth("organiser"))) == [
        "dagenham:online",
        "barking:online",
        "dagenham:email",
    ]


def test_an_organiser_asking_for_another_borough_is_forbidden(client, auth, responses):
    assert_error(client.get(URL + "?borough=E09000002", headers=auth("other_organiser")), 403, "forbidden")


def test_an_organiser_asking_for_a_station_in_another_borough_is_forbidden(client, auth, responses):
    assert_error(client.get(URL + "?station=woodford", headers=auth("organiser")), 403, "forbidden")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("station=woodford", ["woodford:online", "woodford:paper"]),
        ("borough=E09000026", ["woodford:online", "woodford:paper"]),
        ("channel=email", ["dagenham:email"]),
        ("late=true", ["dagenham:email"]),
        ("late=false&channel=paper", ["woodford:paper"]),
        ("received_from=2017-06-01T10:00:00Z&received_to=2017-06-01T11:00:00%2B00:00", ["barking:online"]),
        (
            "received_from=2017-06-01T11:00:00%2B01:00",
            ["barking:online", "woodford:online", "woodford:paper", "dagenham:email"],
        ),
    ],
)
def test_filters_narrow_the_list(client, auth, responses, query, expected):
    assert _references(client.get(f"{URL}?{query}", headers=auth("reviewer"))) == expected


def test_withdrawn_responses_are_listed_with_their_status_and_can_be_filtered(
    client, session, auth, consultation, freeze
):
    freeze(datetime(2017, 6, 1, tzinfo=UTC))
    receipt = service.submit_response(session, slug="library-hours", station="barking", answers=GOOD_ANSWERS)
    service.withdraw_response(session, reference=receipt.reference, edit_token=receipt.edit_token)
    body = client.get(URL + "?status=withdrawn", headers=auth("reviewer")).get_json()
    assert [(item["reference"], item["status"], item["version"]) for item in body["responses"]] == [
        (receipt.reference, "withdrawn", 2)
    ]


def test_the_cursor_walks_every_response_exactly_once(client, auth, responses):
    seen, cursor = [], None
    for _ in range(10):
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        body = client.get(URL + query, headers=auth("reviewer")).get_json()
        seen += [item["reference"] for item in body["responses"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("channel=fax", "channel"),
        ("late=perhaps", "late"),
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("received_from=2017-06-01T10:00:00", "received_from"),
        ("received_to=yesterday", "received_to"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ4IiwxXQ", "cursor"),
        ("station=atlantis", "station"),
        ("borough=E99999999", "borough"),
        ("status=deleted", "status"),
    ],
)
def test_bad_filters_are_validation_errors(client, auth, responses, query, field):
    body = assert_error(client.get(f"{URL}?{query}", headers=auth("reviewer")), 422, "validation_error")
    assert field in body["errors"]


def test_the_public_cannot_read_responses(client, consultation):
    assert_error(client.get(URL), 401, "unauthorized")


def test_reading_an_unknown_consultation_is_a_404(client, auth, consultation):
    assert_error(client.get("/api/v1/consultations/nope/responses", headers=auth("reviewer")), 404, "not_found")


def test_a_page_costs_the_same_queries_however_many_responses_it_holds(client, auth, responses, count_queries):
    def page() -> None:
        assert client.get(URL + "?include_personal_data=true", headers=auth("reviewer")).status_code == 200

    page()  # the token's first use of the minute also notes it (last_used_at); count the pages after it
    few = count_queries(page)
    for hour in range(12):
        service.submit_response(
            db.session,
            slug="library-hours",
            station=("dagenham", "woodford")[hour % 2],
            answers=GOOD_ANSWERS,
            respondent={"name": f"Later {hour}"},
            received_at=datetime(2017, 6, 2, 9, 0, tzinfo=UTC) + timedelta(hours=hour),
        )
    many = count_queries(page)

    assert many == few, count_queries.statements
