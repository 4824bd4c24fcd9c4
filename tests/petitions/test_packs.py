"""Paper petition packs (register, tally, key in) and signatures imported from another petition site."""

import io
import re
from datetime import timedelta

from openpyxl import Workbook

from consultation.extensions import db
from consultation.petitions.service import get_petition, headline_total
from tests.intake.conftest import assert_error
from tests.petitions.conftest import PETITION_CLOSES, totals

ISSUED = "2017-08-01T10:00:00+01:00"
RETURNED = "2017-08-30T18:00:00+01:00"


def register(client, auth, petition, code="DAG-01", role="organiser"):
    body = {"code": code, "issued_to": "Rainham Road residents", "issued_at": ISSUED}
    return client.post(f"/api/v1/petitions/{petition}/packs", json=body, headers=auth(role))


def tally(client, auth, petition, code="DAG-01", counted=120, received_at=RETURNED, role="organiser"):
    body = {"signatures_counted": counted, "sheets": 12, "received_at": received_at, "counted_by": "Jo"}
    return client.post(f"/api/v1/petitions/{petition}/packs/{code}/tally", json=body, headers=auth(role))


def upload(client, auth, url, text: str, filename="pack.csv", role="organiser", mode=None):
    query = f"?mode={mode}" if mode else ""
    data = {"file": (io.BytesIO(text.encode()), filename)}
    return client.post(url + query, data=data, headers=auth(role), content_type="multipart/form-data")


def test_a_returned_packs_tally_counts_as_paper(client, auth, petition):
    assert register(client, auth, petition).status_code == 201
    counts = totals(client, petition)
    assert counts["paper"] == 0  # issued, not yet back
    reply = tally(client, auth, petition)
    assert reply.status_code == 200
    assert reply.get_json()["late"] is False
    assert reply.get_json()["counts_for"] == 120
    counts = totals(client, petition)
    assert (counts["paper"], counts["total"]) == (120, 120)
    assert counts["by_borough"][-1] == {
        "gss_code": None,
        "name": "paper tallies counted, not checked (no postcodes)",
        "total": 120,
    }


def test_pack_codes_are_unique_per_petition(client, auth, petition):
    register(client, auth, petition)
    assert_error(register(client, auth, petition), 409, "pack_exists")


def test_only_the_owner_handles_packs(client, auth, petition):
    assert_error(register(client, auth, petition, role="other_organiser"), 403, "forbidden")
    assert_error(register(client, auth, petition, role="reviewer"), 403, "forbidden")
    register(client, auth, petition)
    assert_error(tally(client, auth, petition, role="other_organiser"), 403, "forbidden")
    assert_error(client.get(f"/api/v1/petitions/{petition}/packs", headers=auth("other_organiser")), 403, "forbidden")


def test_a_tally_for_an_unknown_pack_or_from_the_future_is_refused(client, auth, petition):
    assert_error(tally(client, auth, petition, code="NOPE"), 404, "not_found")
    register(client, auth, petition)
    assert_error(tally(client, auth, petition, received_at="2017-12-01T10:00:00+00:00"), 422, "validation_error")
    assert_error(tally(client, auth, petition, received_at="2017-07-01T10:00:00+00:00"), 422, "validation_error")


def test_a_pack_received_after_closing_is_kept_marked_late_and_left_out_of_the_total(client, auth, petition, freeze):
    register(client, auth, petition)
    freeze(PETITION_CLOSES + timedelta(days=2))
    late_arrival = (PETITION_CLOSES + timedelta(days=1)).isoformat()
    reply = tally(client, auth, petition, counted=40, received_at=late_arrival)
    assert reply.get_json()["late"] is True
    counts = totals(client, petition)
    assert (counts["paper"], counts["late_paper"], counts["total"]) == (0, 40, 0)
    assert headline_total(db.session, get_petition(db.session, petition)) == 0  # the list pages' figure agrees
    on_the_dot = tally(client, auth, petition, counted=40, received_at=PETITION_CLOSES.isoformat())
    assert on_the_dot.get_json()["late"] is True


def test_keyed_in_paper_signatures_matching_online_ones_count_once(client, auth, petition, sign):
    sign.signed_and_confirmed(petition, name="Ada Lovelace", postcode="RM10 7TU")
    register(client, auth, petition)
    tally(client, auth, petition, counted=4)
    text = (
        "name,postcode\nADA LOVELACE,rm10 7tu\nCharles Babbage,IG11 7NB\n"
        "Mary Somerville,CM1 1AA\nCharles Babbage,IG11 7NB\n"
    )
    reply = upload(client, auth, f"/api/v1/petitions/{petition}/packs/DAG-01/signatures", text)
    assert reply.status_code == 201, reply.get_json()
    report = reply.get_json()
    assert (report["imported"], report["flagged"]) == (4, 2)
    pack = client.get(f"/api/v1/petitions/{petition}/packs", headers=auth("organiser")).get_json()["packs"][0]
    assert (pack["signatures_counted"], pack["keyed_in"], pack["counts_for"], pack["difference"]) == (4, 4, 2, 2)
    counts = totals(client, petition)
    assert (counts["confirmed_online"], counts["paper"], counts["flagged"], counts["total"]) == (1, 2, 2, 3)
    boroughs = {row["name"]: row["total"] for row in counts["by_borough"]}
    assert boroughs == {"Barking and Dagenham": 2, "outside London": 1}


def test_keying_in_needs_the_tally_first_and_happens_once(client, auth, petition):
    register(client, auth, petition)
    url = f"/api/v1/petitions/{petition}/packs/DAG-01/signatures"
    assert_error(upload(client, auth, url, "name,postcode\nA,RM10 7TU\n"), 409, "pack_not_returned")
    tally(client, auth, petition, counted=1)
    assert upload(client, auth, url, "name,postcode\nA,RM10 7TU\n").status_code == 201
    assert_error(upload(client, auth, url, "name,postcode\nB,RM10 7TU\n"), 409, "pack_already_keyed_in")


def test_bad_rows_are_reported_and_nothing_is_stored_unless_valid_only_is_asked(client, auth, petition):
    register(client, auth, petition)
    tally(client, auth, petition, counted=3)
    url = f"/api/v1/petitions/{petition}/packs/DAG-01/signatures"
    text = "name,postcode\nGood Person,RM10 7TU\n,RM10 7TU\nNo Place,RM10 9ZZ\n"
    body = assert_error(upload(client, auth, url, text), 422, "import_rejected")
    assert [(row["row"], row["field"]) for row in body["errors"]["rows"]] == [(3, "name"), (4, "postcode")]
    assert totals(client, petition)["paper"] == 3  # the tally still stands
    reply = upload(client, auth, url, text, mode="valid_only")
    assert reply.get_json()["imported"] == 1
    assert totals(client, petition)["paper"] == 1


def test_a_missing_column_or_a_strange_file_is_refused(client, auth, petition):
    register(client, auth, petition)
    tally(client, auth, petition, counted=1)
    url = f"/api/v1/petitions/{petition}/packs/DAG-01/signatures"
    body = assert_error(upload(client, auth, url, "name\nA\n"), 422, "import_rejected")
    assert body["errors"]["rows"][0]["field"] == "postcode"
    assert_error(upload(client, auth, url, "x", filename="pack.pdf"), 415, "unsupported_media_type")


def test_keyed_in_signatures_come_from_an_xlsx_file_too(client, auth, petition):
    register(client, auth, petition)
    tally(client, auth, petition, counted=2)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Postcode"])
    sheet.append(["Grace Hopper", "RM9 5AA"])
    sheet.append(["Alan Turing", "RM8 1AA"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = {"file": (io.BytesIO(buffer.getvalue()), "pack.xlsx")}
    reply = client.post(
        f"/api/v1/petitions/{petition}/packs/DAG-01/signatures",
        data=data,
        headers=auth("organiser"),
        content_type="multipart/form-data",
    )
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["imported"] == 2


IMPORT = (
    "name,email,postcode,signed_at\n"
    "Ada Lovelace,ADA@example.org,RM10 7TU,2017-08-20 12:00\n"
    "Charles Babbage,charles@example.org,IG11 7NB,20/08/2017 13:00\n"
    "Ada Lovelace,ada.second@example.org,RM10 7TU,2017-08-21T09:00:00+01:00\n"
)


def test_signatures_from_another_site_are_imported_once_each(client, auth, petition, sign):
    sign.signed_and_confirmed(petition, email="ada@example.org")
    reply = upload(client, auth, f"/api/v1/petitions/{petition}/signatures/import", IMPORT, filename="export.csv")
    assert reply.status_code == 201, reply.get_json()
    report = reply.get_json()
    assert (report["imported"], report["skipped_existing"], report["flagged"]) == (2, 1, 1)
    counts = totals(client, petition)
    # Imported rows have their own channel: the other site confirmed them, we did not.
    assert (counts["confirmed_online"], counts["imported"], counts["flagged"], counts["total"]) == (1, 1, 1, 2)
    assert counts["timeline"] == [{"date": "2017-08-20", "total": 1}, {"date": "2017-09-01", "total": 2}]


def test_the_import_command_reports_what_it_stored(app, runner, petition, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(IMPORT)
    result = runner.invoke(args=["petitions", "import-signatures", str(petition), str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 of 3 rows" in result.output
    assert "1 flagged as the same person" in result.output
    again = runner.invoke(args=["petitions", "import-signatures", str(petition), str(path)])
    assert "3 emails already present" in again.output
    shown = runner.invoke(args=["petitions", "totals", str(petition)])
    assert shown.exit_code == 0
    assert re.search(r"imported, not confirmed by us +2\n", shown.output)
    assert re.search(r"total +2\n", shown.output)


def test_the_import_command_lists_bad_rows(app, runner, petition, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("name,email,postcode,signed_at\nA,not-an-email,RM10 7TU,2017-08-20 12:00\n")
    result = runner.invoke(args=["petitions", "import-signatures", str(petition), str(path)])
    assert result.exit_code != 0
    assert "row 2, email: Not an email address." in result.output
    missing = runner.invoke(args=["petitions", "totals", "999"])
    assert missing.exit_code != 0
    assert "No petition '999'" in missing.output


def test_an_imported_signature_dated_after_the_petition_closed_is_refused(client, auth, petition, freeze):
    freeze(PETITION_CLOSES + timedelta(days=3))
    text = "name,email,postcode,signed_at\nLate Larry,larry@example.org,RM10 7TU,2017-10-02 09:00\n"
    body = assert_error(
        upload(client, auth, f"/api/v1/petitions/{petition}/signatures/import", text), 422, "import_rejected"
    )
    assert body["errors"]["rows"] == [{"row": 2, "field": "signed_at", "message": "Signed after this petition closed."}]


def test_an_imported_date_out_of_range_is_a_row_problem_not_a_crash(client, auth, petition):
    text = (
        "name,email,postcode,signed_at\n"
        "A,a@example.org,RM10 7TU,0001-01-01 00:00\nB,b@example.org,RM10 7TU,9999-12-31\n"
    )
    body = assert_error(
        upload(client, auth, f"/api/v1/petitions/{petition}/signatures/import", text), 422, "import_rejected"
    )
    assert [(row["row"], row["field"]) for row in body["errors"]["rows"]] == [(2, "signed_at"), (3, "signed_at")]
