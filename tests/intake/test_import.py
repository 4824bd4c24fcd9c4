import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from consultation.accounts.models import AuditEvent
from consultation.intake.models import Respondent, Response, ResponseRevision
from tests.intake.conftest import assert_error, csv_upload

URL = "/api/v1/consultations/library-hours/responses/import"
HEADER = "channel,received_at,station,connection,agreement,reporting,why,name,email,postcode,respondent_type"


@pytest.fixture
def after_close(freeze):
    """Paper and email keep arriving after the deadline; imports happen later still."""
    return freeze(datetime(2017, 11, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def upload(client, auth, consultation, after_close):
    def post(text: str, mode: str | None = None, filename: str = "responses.csv", role: str = "reviewer"):
        query = f"?mode={mode}" if mode else ""
        return client.post(URL + query, data=csv_upload(text, filename), headers=auth(role))

    return post


def _rows(session):
    return {row.received_at: row for row in session.scalars(select(Response))}


def test_paper_and_email_rows_are_stored_and_late_rows_are_kept_and_flagged(upload, session):
    text = "\n".join(
        [
            HEADER,
            "paper,2017-10-06 17:29:59,dagenham,live_nearby,disagree,front_counter;phone,Keep it,"
            "Ann,ann@example.org,rm10 8ab,resident",
            "email,06/10/2017 17:30,barking,work_nearby,agree,phone|online,,,,,",
            "paper,2017-10-09T09:15:00+01:00,woodford,live_nearby,neither,,Late by post,,,,business",
        ]
    )
    response = upload(text)
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert (report["rows_total"], report["imported"], report["late"], report["problems"]) == (3, 3, 2, [])
    rows = _rows(session)
    on_time = rows[datetime(2017, 10, 6, 16, 29, 59, tzinfo=UTC)]  # London BST wall time -> UTC
    assert on_time.late is False and on_time.channel == "paper" and on_time.respondent.postcode == "RM10 8AB"
    assert rows[datetime(2017, 10, 6, 16, 30, tzinfo=UTC)].late is True
    assert rows[datetime(2017, 10, 9, 8, 15, tzinfo=UTC)].late is True
    assert session.scalar(select(func.count(Respondent.id))) == 1
    assert [answer.value for answer in rows[datetime(2017, 10, 6, 16, 30, tzinfo=UTC)].answers][:3] == [
        "work_nearby",
        "agree",
        ["phone", "online"],
    ]
    assert session.scalar(select(func.count(ResponseRevision.id))) == 3
    assert all(row.edit_token_hash is None for row in rows.values())
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert audit.details["imported"] == 3


def test_every_bad_row_is_reported_by_row_and_field_and_nothing_is_stored(upload, session):
    text = "\n".join(
        [
            HEADER,
            "paper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,,",
            "online,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,,",
            "paper,yesterday,atlantis,,maybe,carrier_pigeon,,,not-an-email,XX1,alien",
            "fax,2017-09-01,dagenham,live_nearby,agree,,,,,,",
        ]
    )
    body = assert_error(upload(text), 422, "import_rejected")
    problems = {(problem["row"], problem["field"]) for problem in body["errors"]["rows"]}
    assert problems == {
        (3, "channel"),
        (4, "received_at"),
        (4, "station"),
        (4, "connection"),
        (4, "agreement"),
        (4, "reporting"),
        (4, "email"),
        (4, "postcode"),
        (4, "respondent_type"),
        (5, "channel"),
        (5, "received_at"),
    }
    assert "3 of 4 rows" in body["message"]
    assert session.scalar(select(func.count(Response.id))) == 0


def test_valid_only_mode_stores_the_good_rows_and_reports_the_rest(upload, session):
    text = "\n".join(
        [HEADER, "paper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,,", "paper,2017-09-01 10:00,dagenham,,,,,,,,"]
    )
    response = upload(text, mode="valid_only")
    assert response.status_code == 201
    report = response.get_json()
    assert (report["imported"], report["rows_invalid"]) == (1, 1)
    assert {(p["row"], p["field"]) for p in report["problems"]} == {(3, "connection"), (3, "agreement")}
    assert session.scalar(select(func.count(Response.id))) == 1


def test_valid_only_with_no_good_rows_stores_nothing(upload):
    assert_error(upload(HEADER + "\npaper,,,,,,,,,,", mode="valid_only"), 422, "import_rejected")


@pytest.mark.parametrize(
    ("received_at", "message"),
    [
        ("2017-03-26 01:30", "does not exist"),
        ("2017-10-29 01:30", "happened twice"),
        ("2017-10-06", "as well as the date"),
        ("2016-12-25 10:00", "Before the consultation opened"),
        ("2031-01-01 10:00", "future"),
    ],
)
def test_received_times_that_cannot_be_right_are_reported(upload, received_at, message):
    body = assert_error(
        upload(f"{HEADER}\npaper,{received_at},dagenham,live_nearby,agree,,,,,,"), 422, "import_rejected"
    )
    assert body["errors"]["rows"][0]["field"] == "received_at"
    assert message in body["errors"]["rows"][0]["message"]


def test_times_with_an_offset_settle_the_hour_the_clocks_went_back(upload, session, freeze):
    freeze(datetime(2017, 11, 1, tzinfo=UTC))
    text = f"{HEADER}\npaper,2017-10-29T01:30:00+01:00,dagenham,live_nearby,agree,,,,,,\n"
    text += "paper,2017-10-29T01:30:00Z,dagenham,live_nearby,agree,,,,,,"
    assert upload(text).status_code == 201
    assert set(_rows(session)) == {datetime(2017, 10, 29, 0, 30, tzinfo=UTC), datetime(2017, 10, 29, 1, 30, tzinfo=UTC)}


def test_a_header_with_unknown_or_missing_columns_is_refused(upload):
    body = assert_error(
        upload("channel,station,connection,shoe_size\npaper,dagenham,live_nearby,9"), 422, "import_rejected"
    )
    assert {(p["row"], p["field"]) for p in body["errors"]["rows"]} == {
        (1, "shoe_size"),
        (1, "received_at"),
        (1, "agreement"),
    }


def test_blank_lines_are_skipped_and_row_numbers_match_the_spreadsheet(upload):
    good = "paper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,,"
    text = f"{HEADER}\n\n{good}\n,,,,,,,,,,\npaper,nope,dagenham,live_nearby,agree,,,,,,\n"
    body = assert_error(upload(text), 422, "import_rejected")
    assert body["errors"]["rows"] == [
        {"row": 5, "field": "received_at", "message": body["errors"]["rows"][0]["message"]}
    ]


def test_an_xlsx_workbook_imports_with_date_cells_as_london_time(client, auth, session, consultation, after_close):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Channel", "Received_at", "Station", "connection", "agreement", "why"])
    sheet.append(["paper", datetime(2017, 10, 6, 17, 29, 59), "dagenham", "live_nearby", "agree", 42])
    sheet.append(["email", datetime(2017, 10, 6, 17, 30), "barking", "work_nearby", "disagree", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = {"file": (io.BytesIO(buffer.getvalue()), "responses.xlsx")}
    response = client.post(URL, data=data, headers=auth("reviewer"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["late"] == 1
    rows = _rows(session)
    assert rows[datetime(2017, 10, 6, 16, 29, 59, tzinfo=UTC)].answers[-1].text == "42"


@pytest.mark.parametrize(
    ("content", "filename", "status", "code"),
    [
        (b"hello", "responses.txt", 415, "unsupported_media_type"),
        (b"\xd0\xcf\x11\xe0 old excel", "responses.xls", 415, "unsupported_media_type"),
        (b"PK\x03\x04 broken zip", "responses.xlsx", 422, "validation_error"),
        (b"not a zip at all", "responses.xlsx", 422, "validation_error"),
        (b"PK\x03\x04 zip named csv", "responses.csv", 422, "validation_error"),
        (b"channel,received_at\x00,station\n", "responses.csv", 422, "validation_error"),
        (b"", "responses.csv", 422, "validation_error"),
        (b"channel,received_at,station,connection,agreement\n", "responses.csv", 422, "validation_error"),
    ],
)
def test_files_that_are_not_usable_get_the_error_shape(
    client, auth, consultation, after_close, content, filename, status, code
):
    response = client.post(URL, data={"file": (io.BytesIO(content), filename)}, headers=auth("reviewer"))
    assert_error(response, status, code)


def test_a_file_over_the_configured_limit_is_refused(app, upload):
    app.config["IMPORT_MAX_BYTES"] = 100
    try:
        response = upload(HEADER + "\n" + "paper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,,\n" * 5)
    finally:
        app.config["IMPORT_MAX_BYTES"] = 16 * 1024 * 1024
    assert_error(response, 413, "payload_too_large")


def test_a_missing_file_or_a_bad_mode_is_a_validation_error(client, auth, consultation, after_close, upload):
    assert_error(client.post(URL, headers=auth("reviewer")), 422, "validation_error")
    assert_error(upload(HEADER, mode="some_rows"), 422, "validation_error")


def test_the_public_may_not_import(client, consultation):
    assert_error(client.post(URL, data=csv_upload(HEADER)), 401, "unauthorized")


def test_organisers_may_not_import(upload):
    assert_error(upload(HEADER, role="organiser"), 403, "forbidden")


def test_admins_may_import(upload):
    assert upload(HEADER + "\npaper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,,", role="admin").status_code == 201


def test_a_windows_1252_csv_from_excel_is_read(client, auth, session, consultation, after_close):
    text = "channel,received_at,station,connection,agreement,why\n"
    text += "paper,2017-09-01 10:00,dagenham,live_nearby,agree,£5 bus fare\n"
    data = {"file": (io.BytesIO(text.encode("cp1252")), "responses.csv")}
    assert client.post(URL, data=data, headers=auth("reviewer")).status_code == 201
    assert session.scalar(select(Response)).answers[-1].text == "£5 bus fare"


def test_the_cli_imports_a_file_and_reports_skipped_rows(runner, session, consultation, after_close, tmp_path):
    path = tmp_path / "post.csv"
    path.write_text(f"{HEADER}\npaper,2017-10-07 09:00,dagenham,live_nearby,agree,,,,,,\npaper,,dagenham,,,,,,,,\n")
    result = runner.invoke(
        args=["import-responses", str(path), "--consultation", "library-hours", "--mode", "valid_only"]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 1 of 2 rows into library-hours (1 received late, 1 skipped)." in result.output
    assert "row 3, received_at: Required." in result.output
    assert session.scalar(select(Response.late)) is True


def test_the_cli_refuses_a_file_with_bad_rows_and_lists_them(runner, session, consultation, after_close, tmp_path):
    path = tmp_path / "post.csv"
    path.write_text(f"{HEADER}\npaper,2017-10-07 09:00,dagenham,live_nearby,agree,,,,,,\npaper,,dagenham,,,,,,,,\n")
    result = runner.invoke(args=["import-responses", str(path), "--consultation", "library-hours"])
    assert result.exit_code == 1
    assert "row 3, connection: This question is required." in result.output
    assert "nothing was imported" in result.output
    assert session.scalar(select(func.count(Response.id))) == 0


def test_a_file_with_more_rows_than_allowed_is_refused(upload, monkeypatch):
    monkeypatch.setattr("consultation.intake.imports.MAX_ROWS", 2)
    body = assert_error(
        upload(HEADER + "\npaper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,," * 3), 422, "validation_error"
    )
    assert "split the file" in body["errors"]["file"][0]


def test_a_row_whose_postcode_the_ons_directory_does_not_know_is_reported(upload, session):
    text = "\n".join([HEADER, "paper,2017-09-01 10:00,dagenham,live_nearby,agree,,,,,RM10 9ZZ,"])
    body = assert_error(upload(text), 422, "import_rejected")
    [problem] = body["errors"]["rows"]
    assert (problem["row"], problem["field"]) == (2, "postcode")
    assert problem["message"].startswith("We could not find this postcode")


def test_bad_rows_in_many_columns_are_each_reported_once_per_field_in_column_order(upload, session):
    """Checked column by column, problems still come out row by row in column order; a bad value seen again in a
    later row (answered from the column's cache) is reported again with the same message."""
    bad = "fax,2017-09-01 10:00,dagenham,work_nearby,maybe,phone;phone,,,,,"
    long_why = "x" * 51
    text = "\n".join(
        [
            HEADER,
            "paper,2017-09-01 10:00,dagenham,live_nearby,agree,phone,fine,,,,",
            bad,
            "email,2017-03-26 01:30,nowhere,,agree,,,Ann,ann@,RM10 8AB,alien",
            f"paper,2017-09-01 10:00,dagenham,live_nearby,agree,phone,{long_why},,,XX1,",
            "paper,2017-09-01 10:00,dagenham,live_nearby,agree,phone,fine,,,,resident,extra",
            bad,
        ]
    )
    body = assert_error(upload(text), 422, "import_rejected")
    problems = body["errors"]["rows"]
    assert [(problem["row"], problem["field"]) for problem in problems] == [
        (3, "channel"),
        (3, "agreement"),
        (3, "reporting"),
        (4, "received_at"),
        (4, "station"),
        (4, "connection"),
        (4, "email"),
        (4, "respondent_type"),
        (5, "why"),
        (5, "postcode"),
        (6, "row"),
        (7, "channel"),
        (7, "agreement"),
        (7, "reporting"),
    ]
    messages = {(problem["row"], problem["field"]): problem["message"] for problem in problems}
    assert messages[(3, "reporting")] == messages[(7, "reporting")] == "Each option may be chosen once."
    assert messages[(4, "received_at")].startswith("This time does not exist in London")
    assert messages[(5, "why")] == "Must be at most 50 characters (this has 51)."
    assert messages[(4, "email")] == "Not a valid email address."
    assert "5 of 6 rows have problems" in body["message"]
    assert session.scalar(select(func.count(Response.id))) == 0


def test_stored_text_keeps_tabs_backslashes_quotes_and_line_breaks(upload, session):
    """What COPY's text format must escape comes back as written, in the answer and in the first revision."""
    why = 'Tab\there, back\\slash, "quoted"\nand £5'
    quoted = '"' + why.replace('"', '""') + '"'
    text = "\n".join(
        [
            HEADER,
            f"paper,2017-09-01 10:00,dagenham,live_nearby,agree,phone|online,{quoted},A\\B,a@example.org,,",
            "email,2017-09-02 10:00,barking,work_nearby,neither,,,,,,",
        ]
    )
    response = upload(text, mode="valid_only")
    assert response.status_code == 201, response.get_json()
    stored = {row.channel: row for row in session.scalars(select(Response))}
    assert [answer.text or answer.value for answer in stored["paper"].answers] == [
        "live_nearby",
        "agree",
        ["phone", "online"],
        why,
    ]
    revision = session.scalar(select(ResponseRevision).where(ResponseRevision.response_id == stored["paper"].id))
    assert revision.answers == {
        "connection": "live_nearby",
        "agreement": "agree",
        "reporting": ["phone", "online"],
        "why": why,
    }
    assert (stored["paper"].respondent.name, stored["paper"].respondent.email) == ("A\\B", "a@example.org")
    assert stored["email"].respondent is None and [answer.value for answer in stored["email"].answers] == [
        "work_nearby",
        "neither",
    ]
