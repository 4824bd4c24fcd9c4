"""The organiser's petition pages: create and edit with the API's rules, the petition's totals and timeline,
paper packs (register, tally, key in with row errors shown before anything is stored), signers and history, and
the reason a new title needs once anyone has signed."""

import io

from consultation.clock import describe_london
from consultation.extensions import db
from consultation.petitions.models import Petition, Signature

NEW_PETITION = {
    "consultation": "front-counters",
    "title": "Save Barking's counter",
    "text": "Keep the counter open.",
    "stations": ["barking"],
    "closes-date": "2030-09-30",
    "closes-time": "12:00",
}


def public_total(client, petition_id) -> int:
    return client.get(f"/api/v1/petitions/{petition_id}/totals").json["total"]


def test_an_organiser_creates_a_petition_closing_at_a_london_time(sign_in, consultation, page):
    client = sign_in("organiser")
    form = page(client.get("/staff/petitions/new").get_data(as_text=True))
    stations = {item["value"] for item in form.find_all("input", name="stations")}
    assert stations == {"dagenham", "barking"}  # only the organiser's borough's stations are offered
    response = client.post("/staff/petitions/new", data=NEW_PETITION)
    assert response.status_code == 303
    petition = db.session.query(Petition).one()
    assert petition.title == "Save Barking's counter" and [s.slug for s in petition.stations] == ["barking"]
    assert describe_london(petition.closes_at) == "12:00 on Monday 30 September 2030"
    assert response.headers["Location"].endswith(f"/staff/petitions/{petition.id}")


def test_the_api_rules_refuse_a_petition_closing_after_the_consultation(sign_in, consultation, page):
    client = sign_in("organiser")
    response = client.post("/staff/petitions/new", data={**NEW_PETITION, "closes-date": "2030-10-05"})
    document = page(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "cannot close after its consultation" in document.text
    assert document.find_all("a", href="#closes")
    assert db.session.query(Petition).count() == 0


def test_missing_fields_are_listed_in_the_error_summary(sign_in, consultation, page):
    client = sign_in("organiser")
    response = client.post("/staff/petitions/new", data={"consultation": "front-counters", "closes-date": "soon"})
    document = page(response.get_data(as_text=True))
    assert response.status_code == 422
    assert {link["href"] for link in document.find_all("a") if link.get("href", "").startswith("#")} >= {"#closes"}


def test_an_organiser_cannot_offer_a_station_outside_their_boroughs(sign_in, consultation):
    response = sign_in("organiser").post("/staff/petitions/new", data={**NEW_PETITION, "stations": ["woodford"]})
    assert response.status_code == 403
    assert db.session.query(Petition).count() == 0


def test_after_the_first_signature_only_title_and_text_change(sign_in, petition_id, freeze):
    client = sign_in("organiser")
    edit = f"/staff/petitions/{petition_id}/edit"
    changed = {**NEW_PETITION, "title": "Keep Dagenham open", "stations": ["dagenham"], "closes-date": "2030-10-01"}
    changed["closes-time"] = "13:00"  # 12:00 UTC is 13:00 in London (BST)
    assert client.post(edit, data=changed).status_code == 303
    assert db.session.get(Petition, petition_id).title == "Keep Dagenham open"

    client, _ = _returned_pack(sign_in, petition_id, freeze)  # a counted pack is a signature
    db.session.expire_all()
    refused = client.post(edit, data={**changed, "stations": ["dagenham", "barking"]})
    assert refused.status_code == 409 and "only its title and text" in refused.get_data(as_text=True)
    assert [s.slug for s in db.session.get(Petition, petition_id).stations] == ["dagenham"]


def test_a_pack_tally_moves_the_public_total_by_exactly_the_tally(sign_in, petition_id, freeze, page):
    from consultation.clock import london_wall_time

    freeze(london_wall_time(2030, 6, 1, 10, 0))
    client = sign_in("organiser")
    packs = f"/staff/petitions/{petition_id}/packs"
    assert (
        client.post(packs, data={"code": "DAG-1", "issued-to": "A volunteer", "issued-date": "2030-05-01"}).status_code
        == 303
    )
    before = public_total(client, petition_id)
    tally = {
        "signatures-counted": "37",
        "sheets": "4",
        "counted-by": "Chair",
        "received-date": "2030-05-20",
        "received-time": "10:00",
    }
    assert client.post(f"{packs}/DAG-1/tally", data=tally).status_code == 303
    assert public_total(client, petition_id) == before + 37
    listing = page(client.get(packs).get_data(as_text=True)).text
    assert "DAG-1" in listing and "37" in listing and "Late" not in listing


def test_a_pack_back_after_the_petition_closed_is_marked_late_and_not_counted(sign_in, petition_id, freeze, page):
    from consultation.clock import london_wall_time

    freeze(london_wall_time(2030, 10, 3, 10, 0))
    client = sign_in("organiser")
    packs = f"/staff/petitions/{petition_id}/packs"
    client.post(packs, data={"code": "DAG-2", "issued-to": "A volunteer", "issued-date": "2030-05-01"})
    tally = {
        "signatures-counted": "5",
        "sheets": "1",
        "counted-by": "Chair",
        "received-date": "2030-10-02",
        "received-time": "09:00",
    }
    assert client.post(f"{packs}/DAG-2/tally", data=tally).status_code == 303
    assert public_total(client, petition_id) == 0
    assert "Late: not counted" in page(client.get(packs).get_data(as_text=True)).text


def test_a_tally_form_with_problems_is_shown_again_with_them(sign_in, petition_id, page):
    client = sign_in("organiser")
    packs = f"/staff/petitions/{petition_id}/packs"
    client.post(packs, data={"code": "DAG-3", "issued-to": "A volunteer", "issued-date": "2026-01-01"})
    response = client.post(f"{packs}/DAG-3/tally", data={"signatures-counted": "-1", "sheets": "x", "counted-by": ""})
    document = page(response.get_data(as_text=True))
    assert response.status_code == 422
    assert document.find_all("a", href="#signatures-counted") and document.find_all("a", href="#counted-by")


def _returned_pack(sign_in, petition_id, freeze, code="DAG-K"):
    """(client, key-in URL) for a pack returned with a tally of 2; the clock frozen first, then signed in (a
    session cookie signed before a jump in time would have expired)."""
    from consultation.clock import london_wall_time

    freeze(london_wall_time(2030, 6, 1, 10, 0))
    client = sign_in("organiser")
    packs = f"/staff/petitions/{petition_id}/packs"
    client.post(packs, data={"code": code, "issued-to": "A volunteer", "issued-date": "2030-05-01"})
    tally = {"signatures-counted": "2", "sheets": "1", "counted-by": "Chair", "received-date": "2030-05-20"}
    client.post(f"{packs}/{code}/tally", data=tally)
    return client, f"{packs}/{code}/signatures"


def upload(client, url, text: str, mode="all_or_nothing"):
    data = {"file": (io.BytesIO(text.encode()), "pack.csv"), "mode": mode}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_keying_in_shows_every_row_problem_and_stores_nothing(sign_in, petition_id, freeze, page):
    client, url = _returned_pack(sign_in, petition_id, freeze)
    response = upload(client, url, "name,postcode\nAda Lovelace,RM10 7TU\n,RM10 7TU\nBob,NOT A POSTCODE\n")
    document = page(response.get_data(as_text=True))
    assert response.status_code == 422
    rows = [cells for cells in document.text.split("Every problem found, by row")[1:]]
    assert rows and "3" in rows[0] and "4" in rows[0]  # the two bad rows, by their line in the file
    assert db.session.query(Signature).count() == 0

    stored = upload(client, url, "name,postcode\nAda Lovelace,RM10 7TU\nBob Baker,RM10 7TU\n")
    assert stored.status_code == 200 and "2 signatures stored" in page(stored.get_data(as_text=True)).text
    assert db.session.query(Signature).count() == 2


def test_signers_are_listed_invalidated_with_a_reason_and_the_history_says_so(sign_in, petition_id, freeze, page):
    client, url = _returned_pack(sign_in, petition_id, freeze)
    upload(client, url, "name,postcode\nAda Lovelace,RM10 7TU\nBob Baker,RM10 7TU\n")
    signers = f"/staff/petitions/{petition_id}/signers"
    listing = page(client.get(signers).get_data(as_text=True))
    assert "Ada Lovelace" in listing.text and "Bob Baker" in listing.text
    ada = db.session.query(Signature).filter_by(name="Ada Lovelace").one()
    without_reason = client.post(signers, data={"signature": [str(ada.id)], "action": "invalidate", "reason": ""})
    assert without_reason.status_code == 422
    done = client.post(signers, data={"signature": [str(ada.id)], "action": "invalidate", "reason": "Signed twice"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Signature, ada.id).invalidation_reason == "Signed twice"
    history = page(client.get(f"/staff/petitions/{petition_id}/history").get_data(as_text=True)).text
    assert "invalidate signatures" in history and "Signed twice" in history and "read personal data" in history


def test_the_signers_csv_is_for_the_owner(sign_in, petition_id, freeze):
    client, url = _returned_pack(sign_in, petition_id, freeze)
    upload(client, url, "name,postcode\n=HYPERLINK(1),RM10 7TU\n")
    csv = client.get(f"/staff/petitions/{petition_id}/signers.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "'=HYPERLINK(1)" in csv.get_data(as_text=True)
    assert sign_in("reviewer").get(f"/staff/petitions/{petition_id}/signers.csv").status_code == 403


def test_the_petition_page_shows_totals_by_channel_borough_station_and_the_timeline(sign_in, petition_id, freeze, page):
    client, _ = _returned_pack(sign_in, petition_id, freeze)
    document = page(client.get(f"/staff/petitions/{petition_id}").get_data(as_text=True))
    assert "Total: 2" in document.text and "Paper packs on time" in document.text
    assert "Dagenham" in document.text and "20 May 2030" in document.text  # the timeline's numbers, beside it
    [image] = document.find_all("img", src=f"/staff/petitions/{petition_id}/timeline.svg")
    assert "rose from 2" in image["alt"]
    svg = client.get(image["src"])
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<?xml") and b"<script" not in svg.data
    assert document.find_all("a", href=f"/petitions/{petition_id}")


def test_the_edit_form_asks_for_a_reason_for_a_new_title_once_anyone_has_signed(sign_in, petition_id, freeze, page):
    client = sign_in("organiser")
    edit = f"/staff/petitions/{petition_id}/edit"
    assert page(client.get(edit).get_data(as_text=True)).by_id("reason") is None
    client, _ = _returned_pack(sign_in, petition_id, freeze)  # a counted pack: people have signed
    form = page(client.get(edit).get_data(as_text=True))
    assert form.by_id("reason") is not None
    values = {
        "title": "Keep the Dagenham front counter open",
        "text": "We ask the consulting body to keep it open.",
        "stations": ["dagenham"],
        "closes-date": "2030-10-01",
        "closes-time": "13:00",
    }
    refused = client.post(edit, data=values)
    assert refused.status_code == 422 and page(refused.get_data(as_text=True)).find_all("a", href="#reason")
    db.session.expire_all()
    assert db.session.get(Petition, petition_id).title == "Keep Dagenham's front counter open"
    assert client.post(edit, data={**values, "reason": "Name the service"}).status_code == 303
    history = page(client.get(f"/staff/petitions/{petition_id}/history").get_data(as_text=True)).text
    assert "old title: Keep Dagenham's front counter open" in history
    assert "new title: Keep the Dagenham front counter open" in history and "reason: Name the service" in history
