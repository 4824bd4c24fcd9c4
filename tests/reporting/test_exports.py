"""Exports: columns, no personal data by default, formula neutralising, streaming formats, scoping and the CLI."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.extensions import db
from consultation.reporting.service import csv_chunks, neutralise, response_export
from tests.reporting.reporting_factories import QUOTE_TEXT, Factory

BASE = "/api/v1/consultations/public-access-2017/exports"


@pytest.fixture
def factory(demo, tokens):
    factory = Factory(db.session)
    factory.codebook("staffing", "safety", "access")
    return factory


@pytest.fixture
def rows(factory):
    letter = factory.campaign("save-dagenham")
    factory.response(
        "dagenham",
        text="Ring me on 07700 900123. " + QUOTE_TEXT,
        redacted="Ring me on [phone]. " + QUOTE_TEXT,
        themes={"safety": 0.9, "access": 0.6},
        campaign=letter,
        flag_pii=True,
        answers={"agreement": "strongly_disagree", "reporting": ["phone", "online"]},
        respondent={"name": "Ada Resident", "email": "ada@example.org", "postcode": "RM10 7TU"},
    )
    factory.response("ilford", stance="support", channel="paper", respondent_type="business")
    factory.response("barking", late=True)
    factory.response("barking", status="withdrawn")
    db.session.commit()
    return factory


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_response_csv_has_the_columns_and_no_personal_data_by_default(client, auth, rows):
    response = client.get(BASE + "/responses?format=csv", headers=auth("reviewer"))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="public-access-2017-responses-') and '.csv"' in disposition
    records = read_csv(response)
    assert [record["reference"] for record in records] == ["MOPAC-000001", "MOPAC-000002"]
    first = records[0]
    assert list(first)[:10] == [
        "reference",
        "station",
        "station_name",
        "borough_code",
        "borough_name",
        "channel",
        "received_at",
        "late",
        "status",
        "respondent_type",
    ]
    assert first["borough_code"] == "E09000002" and first["received_at"] == "2017-09-01T12:01:00Z"
    assert first["agreement"] == "strongly_disagree"
    assert first["reporting"] == "phone; online"
    assert first["themes"] == "access; safety"
    assert first["campaign"] == "save-dagenham" and first["flags"] == "pii"
    assert first["stance"] == "oppose" and first["stance_source"] == "model"
    assert first["text_redacted"].startswith("Ring me on [phone].")
    text = response.get_data(as_text=True)
    for personal in ("07700 900123", "Ada Resident", "ada@example.org", "RM10 7TU", "respondent_name", "impact"):
        assert personal not in text


def test_late_and_withdrawn_responses_are_exported_only_when_asked(client, auth, rows):
    url = BASE + "/responses?format=csv&include_late=true&include_withdrawn=true"
    records = read_csv(client.get(url, headers=auth("reviewer")))

    assert [(record["late"], record["status"]) for record in records] == [
        ("false", "active"),
        ("false", "active"),
        ("true", "active"),
        ("false", "withdrawn"),
    ]


def test_personal_data_is_exported_for_a_reviewer_who_asks_and_the_asking_is_audited(client, auth, rows):
    response = client.get(BASE + "/responses?format=csv&include_personal_data=true", headers=auth("reviewer"))

    first = read_csv(response)[0]
    assert first["respondent_name"] == "Ada Resident" and first["respondent_email"] == "ada@example.org"
    assert first["respondent_postcode"] == "RM10 7TU"
    assert first["impact"].startswith("Ring me on 07700 900123.")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_personal_data"))
    assert event is not None and event.object_id == "public-access-2017"


def test_organisers_may_not_export_personal_data(client, auth, rows):
    response = client.get(BASE + "/responses?include_personal_data=true", headers=auth("organiser"))
    assert response.status_code == 403
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_personal_data")) is None


def test_organisers_export_only_their_boroughs(client, auth, rows):
    records = read_csv(client.get(BASE + "/responses", headers=auth("organiser")))
    assert {record["borough_code"] for record in records} == {"E09000002"}


def test_an_organiser_exporting_another_borough_is_forbidden(client, auth, rows):
    assert client.get(BASE + "/responses?borough=E09000026", headers=auth("organiser")).status_code == 403


def test_exports_need_a_token(client, rows):
    assert client.get(BASE + "/responses").status_code == 401
    assert client.get(BASE + "/aggregates").status_code == 401


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_would_start_a_formula_are_neutralised(trigger):
    assert neutralise(f'{trigger}HYPERLINK("http://evil")') == f'\'{trigger}HYPERLINK("http://evil")'


def test_harmless_values_pass_through_the_formula_guard():
    assert neutralise("Dagenham") == "Dagenham"
    assert neutralise(-3) == -3 and neutralise(None) is None and neutralise("") == ""


def test_formula_text_in_a_response_is_neutralised_in_csv_and_xlsx(client, auth, factory):
    factory.response(text='=HYPERLINK("http://evil.example","x")', redacted='=HYPERLINK("http://evil.example")')
    factory.response(text="@SUM(A1:A9)", redacted="@SUM(A1:A9)")
    db.session.commit()

    records = read_csv(client.get(BASE + "/responses?format=csv", headers=auth("reviewer")))
    assert [record["text_redacted"] for record in records] == ['\'=HYPERLINK("http://evil.example")', "'@SUM(A1:A9)"]

    workbook = load_workbook(io.BytesIO(client.get(BASE + "/responses?format=xlsx", headers=auth("reviewer")).data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    column = header.index("text_redacted")
    assert [row[column].value for row in sheet.iter_rows(min_row=2)] == [
        '\'=HYPERLINK("http://evil.example")',
        "'@SUM(A1:A9)",
    ]
    assert all(row[column].data_type == "s" for row in sheet.iter_rows(min_row=2))


def test_response_xlsx_is_an_attachment_that_opens(client, auth, rows):
    response = client.get(BASE + "/responses?format=xlsx", headers=auth("reviewer"))

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=public-access-2017-responses-")
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    assert values[0][0] == "reference" and [row[0] for row in values[1:]] == ["MOPAC-000001", "MOPAC-000002"]


def test_response_json_is_an_array_and_ndjson_one_object_per_line(client, auth, rows):
    array = client.get(BASE + "/responses?format=json", headers=auth("reviewer"))
    lines = client.get(BASE + "/responses?format=ndjson", headers=auth("reviewer"))

    assert array.mimetype == "application/json"
    records = json.loads(array.get_data(as_text=True))
    assert [record["reference"] for record in records] == ["MOPAC-000001", "MOPAC-000002"]
    assert records[0]["late"] is False and records[0]["themes"] == "access; safety"
    assert lines.mimetype == "application/x-ndjson"
    assert [json.loads(line) for line in lines.get_data(as_text=True).splitlines()] == records


def test_an_empty_export_is_still_valid(client, auth, factory):
    assert json.loads(client.get(BASE + "/responses?format=json", headers=auth("reviewer")).data) == []
    assert len(read_csv(client.get(BASE + "/responses?format=csv", headers=auth("reviewer")))) == 0


def test_responses_are_read_in_keyset_batches_and_each_batch_is_one_chunk(factory):
    made = [factory.response(answers={"reporting": ["phone"]}, themes={"safety": 0.5}) for _ in range(7)]
    db.session.commit()

    table = response_export(db.session, factory.consultation, batch_size=3)
    chunks = list(csv_chunks(table))

    assert table.count() == 7
    assert len(chunks) == 3  # the header goes out with the first batch
    records = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert [record["reference"] for record in records] == [response.reference for response in made]
    assert all(record["reporting"] == "phone" and record["themes"] == "safety" for record in records)


def test_responses_without_analysis_are_redacted_on_the_way_out(client, auth, factory):
    factory.response(text="Email me at someone@example.org please. " + QUOTE_TEXT, analysed=False)
    db.session.commit()

    record = read_csv(client.get(BASE + "/responses", headers=auth("reviewer")))[0]

    assert "someone@example.org" not in record["text_redacted"]
    assert QUOTE_TEXT[:20] in record["text_redacted"]


def test_aggregates_export_as_csv_one_row_per_group_then_overall(client, auth, rows):
    response = client.get(BASE + "/aggregates?format=csv&group_by=station", headers=auth("reviewer"))

    assert response.status_code == 200
    assert "public-access-2017-aggregates-by-station-" in response.headers["Content-Disposition"]
    records = read_csv(response)
    by_key = {record["key"]: record for record in records}
    assert by_key["dagenham"]["total"] == "1" and by_key["dagenham"]["theme_safety_count"] == "1"
    assert by_key["dagenham"]["borough_code"] == "E09000002"
    assert by_key["ilford"]["stance_support"] == "1" and by_key["ilford"]["channel_paper"] == "1"
    assert records[-1]["key"] == "overall" and records[-1]["total"] == "2"
    assert records[-1]["include_late"] == "false" and records[-1]["campaigns"] == "each"


def test_aggregates_by_borough_as_csv_name_each_borough(client, auth, rows):
    records = read_csv(client.get(BASE + "/aggregates?format=csv&group_by=borough", headers=auth("reviewer")))
    by_key = {record["key"]: record for record in records}
    assert by_key["E09000002"]["borough_code"] == "E09000002"
    assert by_key["E09000002"]["borough_name"] == "Barking and Dagenham"
    assert all(record["borough_code"] == record["key"] for record in records[:-1])
    assert records[-1]["key"] == "overall" and records[-1]["borough_code"] == ""


def test_aggregates_export_as_json_is_the_aggregates_document(client, auth, rows):
    exported = client.get(BASE + "/aggregates?format=json&include_late=true", headers=auth("reviewer")).get_json()
    served = client.get(
        "/api/v1/consultations/public-access-2017/aggregates?include_late=true", headers=auth("reviewer")
    ).get_json()

    assert exported == served
    assert exported["overall"]["total"] == 3


def test_aggregates_export_as_xlsx_opens(client, auth, rows):
    response = client.get(BASE + "/aggregates?format=xlsx", headers=auth("reviewer"))
    values = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert values[0][:5] == ("key", "name", "borough_code", "borough_name", "total")
    assert values[-1][0] == "overall" and values[-1][4] == 2


def test_export_parameters_are_validated(client, auth, rows):
    response = client.get(BASE + "/responses?format=pdf&include_personal_data=perhaps", headers=auth("reviewer"))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"format", "include_personal_data"}


def test_cli_exports_responses_with_a_progress_bar(runner, rows, tmp_path):
    output = tmp_path / "responses.csv"

    result = runner.invoke(
        args=["export", "responses", "--consultation", "public-access-2017", "--output", str(output)]
    )

    assert result.exit_code == 0, result.output
    assert f"Wrote {output}" in result.output
    assert [record["reference"] for record in csv.DictReader(output.open())] == ["MOPAC-000001", "MOPAC-000002"]


def test_cli_exports_aggregates_as_xlsx_and_json(runner, rows, tmp_path):
    for file_format in ("xlsx", "json"):
        output = tmp_path / f"aggregates.{file_format}"
        result = runner.invoke(
            args=[
                "export",
                "aggregates",
                "--consultation",
                "public-access-2017",
                "--format",
                file_format,
                "--output",
                str(output),
                "--group-by",
                "station",
                "--include-late",
            ]
        )
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "aggregates.json").read_text())["overall"]["total"] == 3
    assert list(load_workbook(tmp_path / "aggregates.xlsx").active.values)[-1][0] == "overall"


def test_cli_export_of_an_unknown_consultation_fails_clearly(runner, demo, tmp_path):
    result = runner.invoke(args=["export", "responses", "--consultation", "nope", "--output", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "No consultation 'nope'" in result.output


def test_a_filtered_export_reads_the_answers_and_themes_of_its_own_sparse_batches(factory):
    made = []
    for index in range(6):
        made.append(factory.response("dagenham", answers={"agreement": "agree"}, themes={"access": 0.7}))
        for _ in range(index + 2):
            factory.response("ilford", answers={"agreement": "disagree"}, themes={"safety": 0.7})
    db.session.commit()

    table = response_export(db.session, factory.consultation, station_slug="dagenham", batch_size=2)
    records = list(csv.DictReader(io.StringIO("".join(csv_chunks(table)))))

    assert [record["reference"] for record in records] == [response.reference for response in made]
    assert {(record["agreement"], record["themes"]) for record in records} == {("agree", "access")}


def test_the_number_of_queries_per_batch_does_not_grow_with_its_rows(factory, count_queries):
    """One query for the batch's rows, one for its answers and one for its themes, however many rows it holds."""

    def export() -> None:
        db.session.expire_all()
        "".join(csv_chunks(response_export(db.session, factory.consultation, batch_size=1000)))

    factory.response(answers={"reporting": ["phone"]}, themes={"safety": 0.5})
    db.session.commit()
    few = count_queries(export)
    for index in range(20):
        factory.response(answers={"reporting": ["online"]}, themes={"safety": 0.5, "access": 0.4}, late=index == 3)
    db.session.commit()
    many = count_queries(export)

    assert many == few, count_queries.statements


@pytest.mark.parametrize("export", ["responses", "aggregates"])
def test_json_exports_match_the_schema_the_openapi_document_gives_them(client, auth, rows, export):
    """Clients generated from the spec must be able to read what the JSON exports send (it once said 'binary')."""
    from openapi_schema_validator import OAS30Validator

    spec = client.get("/api/v1/openapi.json").get_json()
    documented = spec["paths"][f"/api/v1/consultations/{{slug}}/exports/{export}"]["get"]["responses"]["200"]
    schema = documented["content"]["application/json"]["schema"]
    assert schema.get("format") != "binary"
    body = client.get(f"{BASE}/{export}?format=json&include_late=true", headers=auth("reviewer")).get_json()
    OAS30Validator({**schema, "components": spec["components"]}).validate(body)
    assert body  # a non-empty export was checked
