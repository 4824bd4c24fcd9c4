"""Imports in the console: the row problems are shown before anything is stored, then a confirmation stores; the
same file again warns and needs a second confirmation, in the console and on the command line alike."""

import io
from datetime import timedelta

from sqlalchemy import func, select

from consultation.clock import now, to_london
from consultation.extensions import db
from consultation.intake.models import ImportedFile, Response

SLUG = "public-access-demo"
# An hour ago in London time: inside the demo consultation's window, and not in the future.
WHEN = f"{to_london(now() - timedelta(hours=1)):%Y-%m-%d %H:%M}"
GOOD = f"channel,received_at,station,connection,agreement,impact\npaper,{WHEN},dagenham,live_nearby,agree,Keep it\n"
MIXED = GOOD + f"paper,{WHEN},nowhere,live_nearby,agree,Lost\n"


def upload(client, text: str, mode: str = "all_or_nothing", name: str = "batch.csv"):
    data = {"file": (io.BytesIO(text.encode()), name), "mode": mode}
    return client.post(f"/staff/consultations/{SLUG}/imports/check", data=data, content_type="multipart/form-data")


def count() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_problems_are_shown_as_a_table_and_nothing_is_stored(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    before = count()
    reply = upload(client, MIXED)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "No station &#39;nowhere&#39;" in html and '<td class="numeric">3</td>' in html
    assert count() == before
    checked = upload(client, MIXED, mode="valid_only")
    assert checked.status_code == 200 and "Import 1 response" in checked.get_data(as_text=True)
    assert count() == before


def test_confirming_stores_and_the_same_file_again_needs_a_second_confirmation(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    before = count()
    upload(client, GOOD)
    assert client.post(f"/staff/consultations/{SLUG}/imports/confirm").status_code == 200
    assert count() == before + 1
    again = upload(client, GOOD, name="renamed.csv")
    assert "This file was imported before" in again.get_data(as_text=True)
    refused = client.post(f"/staff/consultations/{SLUG}/imports/confirm")
    assert refused.status_code == 409 and count() == before + 1
    assert client.post(f"/staff/consultations/{SLUG}/imports/confirm", data={"again": "yes"}).status_code == 200
    assert count() == before + 2
    assert db.session.scalar(select(func.count(ImportedFile.id))) == 2


def test_the_command_line_refuses_a_duplicate_file_unless_told(runner, responses, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(GOOD)
    first = runner.invoke(args=["import-responses", str(path), "--consultation", SLUG])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["import-responses", str(path), "--consultation", SLUG])
    assert second.exit_code != 0 and "--allow-duplicate-file" in second.output
    third = runner.invoke(args=["import-responses", str(path), "--consultation", SLUG, "--allow-duplicate-file"])
    assert third.exit_code == 0, third.output
