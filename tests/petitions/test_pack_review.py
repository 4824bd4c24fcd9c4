"""Paper totals people can trust: a tally is bounded by its sheets, a tally not keyed in is shown as counted,
not checked, and reviewers may set a pack aside (it stops counting) and restore it, with a reason, audited."""

import re

import pytest
from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.extensions import db
from consultation.petitions.service import get_petition, headline_total, signature_sectors
from tests.intake.conftest import assert_error
from tests.petitions.conftest import totals
from tests.petitions.test_packs import RETURNED, register, upload


def tally_body(counted: int, sheets: int) -> dict:
    return {"signatures_counted": counted, "sheets": sheets, "received_at": RETURNED, "counted_by": "Jo"}


def post_tally(client, auth, petition, counted, sheets, code="DAG-01"):
    url = f"/api/v1/petitions/{petition}/packs/{code}/tally"
    return client.post(url, json=tally_body(counted, sheets), headers=auth("organiser"))


def review(client, auth, petition, action, codes=("DAG-01",), reason="Sheets photocopied", role="reviewer"):
    body = {"action": action, "codes": list(codes), "reason": reason}
    return client.post(f"/api/v1/petitions/{petition}/packs/review", json=body, headers=auth(role))


def test_a_tally_beyond_its_sheets_is_refused_with_a_field_message(client, auth, petition):
    register(client, auth, petition)
    body = assert_error(post_tally(client, auth, petition, 1_000_000, 0), 422, "validation_error")
    assert "at most 20 signatures each" in body["errors"]["signatures_counted"][0]
    assert_error(post_tally(client, auth, petition, 241, 12), 422, "validation_error")
    assert totals(client, petition)["total"] == 0
    assert post_tally(client, auth, petition, 240, 12).status_code == 200


def test_the_signatures_per_sheet_come_from_the_configuration(app, client, auth, petition, monkeypatch):
    monkeypatch.setitem(app.config, "PETITION_SIGNATURES_PER_SHEET", 10)
    register(client, auth, petition)
    body = assert_error(post_tally(client, auth, petition, 121, 12), 422, "validation_error")
    assert "at most 10 signatures each: 12 sheets hold at most 120" in body["errors"]["signatures_counted"][0]
    assert post_tally(client, auth, petition, 120, 12).status_code == 200


def test_a_tally_not_keyed_in_is_counted_not_checked_beside_keyed_in_ones(client, auth, petition):
    for code in ("DAG-01", "DAG-02"):
        register(client, auth, petition, code=code)
        post_tally(client, auth, petition, 30, 2, code=code)
    text = "name,postcode\nAda Lovelace,RM10 7TU\nCharles Babbage,IG11 7NB\n"
    assert upload(client, auth, f"/api/v1/petitions/{petition}/packs/DAG-02/signatures", text).status_code == 201
    counts = totals(client, petition)
    assert (counts["paper_keyed_in"], counts["paper_not_checked"], counts["paper"], counts["total"]) == (2, 30, 32, 32)
    packs = client.get(f"/api/v1/petitions/{petition}/packs", headers=auth("organiser")).get_json()["packs"]
    assert [(pack["code"], pack["checked"]) for pack in packs] == [("DAG-01", False), ("DAG-02", True)]


def test_the_petition_page_says_which_paper_is_counted_not_checked(client, auth, petition, page):
    register(client, auth, petition)
    post_tally(client, auth, petition, 30, 2)
    text = page(client.get(f"/petitions/{petition}").get_data(as_text=True)).text
    assert "30 on paper, counted, not checked" in " ".join(text.split())


def test_a_reviewer_lists_packs_sets_one_aside_with_a_reason_and_restores_it(client, auth, petition, session):
    for code in ("DAG-01", "DAG-02"):
        register(client, auth, petition, code=code)
        post_tally(client, auth, petition, 40, 2, code=code)
    text = "name,postcode\nAda Lovelace,RM10 7TU\n"
    upload(client, auth, f"/api/v1/petitions/{petition}/packs/DAG-02/signatures", text)
    listed = client.get(f"/api/v1/petitions/{petition}/packs", headers=auth("reviewer"))
    assert listed.status_code == 200 and len(listed.get_json()["packs"]) == 2
    assert totals(client, petition)["total"] == 41

    reply = review(client, auth, petition, "set_aside", codes=["DAG-01", "DAG-02"])
    assert reply.get_json() == {"action": "set_aside", "requested": 2, "changed": 2}
    counts = totals(client, petition)
    assert (counts["paper"], counts["set_aside_paper"], counts["total"]) == (0, 41, 0)
    assert [row["name"] for row in counts["by_borough"]] == ["outside London"]
    petition_row = get_petition(db.session, petition)
    assert headline_total(db.session, petition_row) == 0 and signature_sectors(db.session, petition) == []
    packs = client.get(f"/api/v1/petitions/{petition}/packs", headers=auth("reviewer")).get_json()["packs"]
    assert [(pack["set_aside"], pack["set_aside_reason"], pack["counts_for"]) for pack in packs] == [
        (True, "Sheets photocopied", 0)
    ] * 2

    assert (
        review(client, auth, petition, "restore", codes=["DAG-01"], reason="Checked the originals").status_code == 200
    )
    assert totals(client, petition)["total"] == 40
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("%_packs")).order_by(AuditEvent.id))
    assert [(event.action, event.details["reason"], event.details["changed"]) for event in events] == [
        ("set_aside_packs", "Sheets photocopied", 2),
        ("restore_packs", "Checked the originals", 1),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"codes": ["NOPE"]}, "codes"), ({"reason": "  "}, "reason"), ({"action": "delete"}, "action")],
)
def test_a_pack_review_with_an_unknown_pack_no_reason_or_a_strange_action_is_refused(
    client, auth, petition, changes, field
):
    register(client, auth, petition)
    arguments = {"action": "set_aside", "codes": ["DAG-01"], "reason": "Photocopied", **changes}
    body = assert_error(review(client, auth, petition, **arguments), 422, "validation_error")
    assert field in body["errors"] or field in body["errors"].get("json", {})


def test_another_organiser_may_neither_list_nor_set_aside_packs(client, auth, petition):
    register(client, auth, petition)
    assert_error(review(client, auth, petition, "set_aside", role="other_organiser"), 403, "forbidden")
    assert_error(client.get(f"/api/v1/petitions/{petition}/packs", headers=auth("other_organiser")), 403, "forbidden")
    assert review(client, auth, petition, "set_aside", role="organiser").status_code == 200


def test_the_submission_pdf_prints_each_channel_apart(client, auth, petition, sign, session):
    from consultation.clock import now
    from consultation.submissions.models import Submission
    from consultation.submissions.rendering import submission_html
    from tests.petitions.test_packs import IMPORT
    from tests.submissions.conftest import submission_body

    sign.signed_and_confirmed(petition, email="grace@example.org", name="Grace Hopper")
    upload(client, auth, f"/api/v1/petitions/{petition}/signatures/import", IMPORT, filename="export.csv")
    register(client, auth, petition)
    post_tally(client, auth, petition, 30, 2)
    body = submission_body("police-2017", petitions=[petition])
    created = client.post("/api/v1/submissions", json=body, headers=auth("organiser"))
    assert created.status_code == 201, created.get_json()
    submission = session.get(Submission, created.get_json()["id"])
    html, _, attachments = submission_html(session, submission, rendered_at=now())
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Online, confirmed by email 1 " in text
    # The import's third row is the same person as its first: flagged, not counted.
    assert "Imported from another petition site, not confirmed by us 2 " in text
    assert "Paper petition packs, counted, not checked 30 " in text
    assert "Total 33 " in text
    assert f"{petition},Keep Dagenham open,imported,,2" in attachments["petition-totals.csv"].replace("\r", "")
