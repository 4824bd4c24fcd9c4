"""The possible duplicates page: each flagged signature beside the one it resembles (name, postcode, email
domain), ticked ones counted (the public total moves by exactly those) or not, with a reason, shown in the
history."""

import io

from sqlalchemy import select

from consultation.extensions import db
from consultation.petitions.models import Signature
from tests.console.organiser.test_petition_pages import _returned_pack, public_total, upload

IMPORTED = "name,email,postcode,signed_at\nA. Lovelace,ada.l@mail.example.org,RM10 7TU,2030-05-10 12:00\n"


def with_possible_duplicates(sign_in, petition_id, freeze, auth):
    """A pack keyed in with Ada twice (the second flagged: same name and postcode), then an imported 'A. Lovelace'
    at her postcode (flagged: a close name). Returns the owner's client and the page's URL."""
    client, url = _returned_pack(sign_in, petition_id, freeze)
    assert upload(client, url, "name,postcode\nAda Lovelace,RM10 7TU\nADA LOVELACE,RM10 7TU\n").status_code == 200
    data = {"file": (io.BytesIO(IMPORTED.encode()), "export.csv")}
    imported = client.post(
        f"/api/v1/petitions/{petition_id}/signatures/import",
        data=data,
        headers=auth("organiser"),
        content_type="multipart/form-data",
    )
    assert imported.status_code == 201 and imported.json["flagged"] == 1, imported.json
    return client, f"/staff/petitions/{petition_id}/duplicates"


def flagged_ids() -> list[int]:
    rows = select(Signature.id).where(Signature.flagged.is_(True), Signature.invalidated_at.is_(None))
    return list(db.session.scalars(rows.order_by(Signature.id)))


def test_each_flagged_signature_is_shown_beside_the_one_it_resembles(sign_in, petition_id, freeze, auth, page):
    client, url = with_possible_duplicates(sign_in, petition_id, freeze, auth)
    reply = sign_in("reviewer").get(url)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    document = page(reply.get_data(as_text=True))
    assert "2 signatures flagged" in document.text
    assert "ADA LOVELACE" in document.text and "Same name and postcode" in document.text
    assert "Close name, same postcode" in document.text and "@mail.example.org" in document.text
    assert "ada.l@" not in document.html
    ticks = document.find_all("input", type="checkbox", name="signature")
    assert sorted(int(tick["value"]) for tick in ticks) == flagged_ids()
    assert {button["value"] for button in document.find_all("button", name="action")} == {"count", "dont_count"}
    petition_page = page(client.get(f"/staff/petitions/{petition_id}").get_data(as_text=True))
    assert petition_page.find_all("a", href=url)


def test_counting_ticked_ones_moves_the_public_total_by_exactly_those(sign_in, petition_id, freeze, auth, page):
    client, url = with_possible_duplicates(sign_in, petition_id, freeze, auth)
    before = public_total(client, petition_id)
    first, second = flagged_ids()
    reply = client.post(url, data={"signature": [str(first)], "action": "count", "reason": "Twins, checked"})
    assert reply.status_code == 303
    assert public_total(client, petition_id) == before + 1
    reply = client.post(url, data={"signature": [str(second)], "action": "dont_count", "reason": "One person"})
    assert reply.status_code == 303
    assert public_total(client, petition_id) == before + 1
    db.session.expire_all()
    assert db.session.get(Signature, second).invalidation_reason == "One person"
    assert "No possible duplicates are waiting" in page(client.get(url).get_data(as_text=True)).text
    history = page(client.get(f"/staff/petitions/{petition_id}/history").get_data(as_text=True)).text
    assert "count possible duplicates" in history and "Twins, checked" in history
    assert "don't count possible duplicates" in history and "One person" in history


def test_a_decision_without_a_reason_or_a_tick_is_shown_again_and_changes_nothing(
    sign_in, petition_id, freeze, auth, page
):
    client, url = with_possible_duplicates(sign_in, petition_id, freeze, auth)
    before = public_total(client, petition_id)
    [first, _] = flagged_ids()
    no_reason = client.post(url, data={"signature": [str(first)], "action": "count", "reason": " "})
    assert no_reason.status_code == 422
    document = page(no_reason.get_data(as_text=True))
    assert document.find_all("a", href="#reason") and document.by_id("reason-error")
    no_tick = client.post(url, data={"action": "count", "reason": "Checked"})
    assert no_tick.status_code == 422 and page(no_tick.get_data(as_text=True)).find_all("a", href="#duplicates")
    other_action = client.post(url, data={"signature": [str(first)], "action": "invalidate", "reason": "x"})
    assert other_action.status_code == 422
    assert public_total(client, petition_id) == before and len(flagged_ids()) == 2


def test_another_boroughs_organiser_can_neither_see_nor_decide(sign_in, petition_id, freeze, auth):
    _, url = with_possible_duplicates(sign_in, petition_id, freeze, auth)
    other = sign_in("other_organiser")
    assert other.get(url).status_code == 403
    [first, _] = flagged_ids()
    assert other.post(url, data={"signature": [str(first)], "action": "count", "reason": "x"}).status_code == 403
    assert len(flagged_ids()) == 2
