"""Inputs a fuzzing pass found to give 500s: each is now a 4xx in the error shape, and nothing is stored.

The bodies are written as raw JSON text, as a client (or a fuzzer) sends them: Python's own json module could
not even produce some of them (a 1,000-deep array overflows its encoder).
"""

import base64
import io
import json

import pytest
from sqlalchemy import func, select

from consultation.intake.models import Respondent, Response
from tests.intake.conftest import GOOD_ANSWERS, assert_error

RESPONSES = "/api/v1/consultations/library-hours/responses"


def _body_with(placeholder_value: str, **extra) -> str:
    """A valid submission whose free-text answer is replaced by raw JSON text."""
    body = json.dumps({"station": "dagenham", "answers": {**GOOD_ANSWERS, "why": "PLACEHOLDER"}, **extra})
    return body.replace('"PLACEHOLDER"', placeholder_value)


def _post_raw(client, body: str, path: str = RESPONSES, **kwargs):
    return client.post(path, data=body.encode("utf-8", "surrogatepass"), content_type="application/json", **kwargs)


def _nothing_stored(session) -> bool:
    return (
        session.scalar(select(func.count(Response.id))) == 0 and session.scalar(select(func.count(Respondent.id))) == 0
    )


def test_an_answer_nested_a_thousand_arrays_deep_is_refused(client, session, consultation, during):
    body = _body_with("[" * 1000 + '"x"' + "]" * 1000)
    error = assert_error(_post_raw(client, body), 422, "validation_error")
    assert error["errors"] == {"_body": ["Nested more than 32 levels deep."]}
    assert _nothing_stored(session)


def test_an_answer_nested_just_past_the_limit_is_refused_with_the_same_message(client, consultation, during):
    error = assert_error(_post_raw(client, _body_with("[" * 31 + '"x"' + "]" * 31)), 422, "validation_error")
    assert error["errors"] == {"_body": ["Nested more than 32 levels deep."]}


def test_a_lone_surrogate_in_free_text_is_refused_and_named(client, session, consultation, during):
    error = assert_error(_post_raw(client, _body_with('"a\\ud800b"')), 422, "validation_error")
    assert list(error["errors"]) == ["answers.why"]
    assert "surrogate" in error["errors"]["answers.why"][0]
    assert _nothing_stored(session)


def test_a_lone_surrogate_in_a_respondent_name_is_refused(client, session, consultation, during):
    body = json.dumps({"station": "dagenham", "answers": GOOD_ANSWERS, "respondent": {"name": "NAME"}})
    error = assert_error(_post_raw(client, body.replace('"NAME"', '"Ann \\udfff"')), 422, "validation_error")
    assert list(error["errors"]) == ["respondent.name"]
    assert _nothing_stored(session)


def test_a_five_thousand_digit_integer_answer_is_refused(client, session, consultation, during):
    error = assert_error(_post_raw(client, _body_with("9" * 5000)), 422, "validation_error")
    assert error["errors"] == {"_body": ["Numbers may have at most 4300 digits."]}
    assert _nothing_stored(session)


@pytest.mark.parametrize(
    "where",
    [
        pytest.param({"answers": {**GOOD_ANSWERS, "why": "Too\x00far"}}, id="free-text"),
        pytest.param({"answers": GOOD_ANSWERS, "respondent": {"name": "Ann\x00Resident"}}, id="respondent-name"),
    ],
)
def test_a_nul_character_is_refused_on_every_database(client, session, consultation, during, where):
    """PostgreSQL cannot store NUL and SQLite would: both refuse it, rather than alter what a resident wrote."""
    response = client.post(RESPONSES, json={"station": "dagenham", **where})
    error = assert_error(response, 422, "validation_error")
    assert error["errors"] in (
        {"answers.why": ["Must not contain NUL characters."]},
        {"respondent.name": ["Must not contain NUL characters."]},
    )
    assert _nothing_stored(session)


def test_a_nul_character_in_a_query_string_is_refused(client, auth, consultation):
    response = client.get(f"{RESPONSES}?borough=E09%0000002", headers=auth("reviewer"))
    assert assert_error(response, 422, "validation_error")["errors"] == {
        "borough": ["Must not contain NUL characters."]
    }


def test_a_nul_character_in_a_path_is_not_found(client, consultation):
    assert_error(client.get("/api/v1/consultations/library%00-hours"), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        "received_from=0001-01-01T00:00:00%2B01:00",
        "received_to=9999-12-31T23:59:59-01:00",
        "received_from=9999-12-31T23:00:00-01:00",
    ],
)
def test_dates_at_the_edge_of_the_calendar_are_refused_as_filters(client, auth, consultation, query):
    error = assert_error(client.get(f"{RESPONSES}?{query}", headers=auth("reviewer")), 422, "validation_error")
    assert error["errors"] == {query.split("=")[0]: ["Must be between 1900-01-01 and 9998-12-31 (UTC)."]}


@pytest.mark.parametrize(
    "payload",
    [
        ["0001-01-01T00:00:00+01:00", 1],
        ["9999-12-31T23:59:59-01:00", 1],
        ["2017-06-01T12:00:00+00:00", 10**30],
        ["2017-06-01T12:00:00+00:00", 2**31],
        ["2017-06-01T12:00:00+00:00", -1],
    ],
)
def test_a_forged_cursor_out_of_range_is_refused(client, auth, consultation, payload):
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    response = client.get(f"{RESPONSES}?cursor={cursor}", headers=auth("reviewer"))
    assert assert_error(response, 422, "validation_error")["errors"] == {
        "cursor": ["Not a valid cursor: use next_cursor from the previous page."]
    }


@pytest.mark.parametrize(
    "change",
    [
        {"opens_at": "0001-01-01T00:00:00+01:00"},
        {"closes_at": "9999-12-31T23:59:59-01:00"},
        {"closes_at": "9999-12-31T23:00:00Z"},
    ],
)
def test_a_consultation_window_at_the_edge_of_the_calendar_is_refused(client, auth, consultation, change):
    response = client.patch("/api/v1/consultations/library-hours", json=change, headers=auth("admin"))
    error = assert_error(response, 422, "validation_error")
    assert error["errors"] == {next(iter(change)): ["Must be between 1900-01-01 and 9998-12-31 (UTC)."]}


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_import_row_received_at_the_edge_of_the_calendar_is_a_row_problem(
    client, auth, session, consultation, during, received_at
):
    text = f"channel,received_at,station,connection,agreement\npaper,{received_at},dagenham,live_nearby,agree\n"
    response = client.post(
        f"{RESPONSES}/import",
        data={"file": (io.BytesIO(text.encode()), "responses.csv")},
        headers=auth("reviewer"),
        content_type="multipart/form-data",
    )
    error = assert_error(response, 422, "import_rejected")
    assert error["errors"]["rows"] == [
        {"row": 2, "field": "received_at", "message": "Must be between 1900-01-01 and 9998-12-31 (UTC)."}
    ]
    assert _nothing_stored(session)


def test_a_csv_holding_a_nul_character_is_refused_whole(client, auth, session, consultation, during):
    text = (
        "channel,received_at,station,connection,agreement,why\n"
        "paper,2017-05-01 10:00,dagenham,live_nearby,agree,a\x00b\n"
    )
    response = client.post(
        f"{RESPONSES}/import",
        data={"file": (io.BytesIO(text.encode()), "responses.csv")},
        headers=auth("reviewer"),
        content_type="multipart/form-data",
    )
    assert assert_error(response, 422, "validation_error")["errors"] == {
        "file": ["The CSV file contains NUL bytes: it is not a text file."]
    }
    assert _nothing_stored(session)


@pytest.mark.parametrize("cell", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01 00:00"])
def test_a_spreadsheet_moment_at_the_edge_of_the_calendar_is_a_cell_problem(cell):
    from consultation.tabular import parse_moment

    assert parse_moment(cell) == (None, "Must be between 1900-01-01 and 9998-12-31 (UTC).")


@pytest.mark.parametrize(
    "change",
    [{"closes_at": "0001-01-01T00:00:00+01:00"}, {"closes_at": "9999-12-31T23:59:59-01:00"}],
)
def test_a_petition_closing_at_the_edge_of_the_calendar_is_refused(client, auth, consultation, during, change):
    body = {"title": "Keep it", "text": "Keep it open.", "consultation": "library-hours", "stations": ["dagenham"]}
    response = client.post("/api/v1/petitions", json={**body, **change}, headers=auth("organiser"))
    assert assert_error(response, 422, "validation_error")["errors"] == {
        "closes_at": ["Must be between 1900-01-01 and 9998-12-31 (UTC)."]
    }


@pytest.mark.parametrize(
    "path", ["/api/v1/petitions/{big}", "/api/v1/submissions/{big}", "/api/v1/petitions/{big}/totals"]
)
def test_an_id_in_a_path_past_the_integer_column_range_is_not_found(client, auth, path):
    for big in (2**31, 10**30):
        assert_error(client.get(path.format(big=big), headers=auth("admin")), 404, "not_found")
