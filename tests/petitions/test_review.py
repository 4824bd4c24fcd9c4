"""Reviewing signatures (invalidate, restore: audited) and reading signers (owner, reviewers, admins only)."""

import csv
import io

from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from tests.intake.conftest import assert_error
from tests.petitions.conftest import totals


def signer_ids(client, auth, petition) -> list[int]:
    page = client.get(f"/api/v1/petitions/{petition}/signatures", headers=auth("organiser")).get_json()
    return [item["id"] for item in page["signatures"]]


def test_invalidating_a_batch_takes_it_out_of_the_total_and_restoring_puts_it_back(
    client, auth, petition, sign, session
):
    for number in range(3):
        sign.signed_and_confirmed(petition, email=f"p{number}@example.org", name=f"Person {number}")
    ids = signer_ids(client, auth, petition)
    reply = client.post(
        f"/api/v1/petitions/{petition}/signatures/review",
        json={"action": "invalidate", "signature_ids": ids[:2], "reason": "Signed by one hand"},
        headers=auth("reviewer"),
    )
    assert reply.get_json() == {"action": "invalidate", "requested": 2, "changed": 2}
    counts = totals(client, petition)
    assert (counts["total"], counts["invalidated"]) == (1, 2)
    restored = client.post(
        f"/api/v1/petitions/{petition}/signatures/review",
        json={"action": "restore", "signature_ids": ids[:1], "reason": "Checked by phone"},
        headers=auth("organiser"),
    )
    assert restored.get_json()["changed"] == 1
    assert totals(client, petition)["total"] == 2
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["invalidate_signatures", "restore_signatures"]))
    )
    assert [(event.action, event.details["reason"]) for event in events] == [
        ("invalidate_signatures", "Signed by one hand"),
        ("restore_signatures", "Checked by phone"),
    ]


def test_a_review_needs_a_reason_and_signatures_of_this_petition(client, auth, petition, sign):
    sign.signed_and_confirmed(petition)
    [signature_id] = signer_ids(client, auth, petition)
    url = f"/api/v1/petitions/{petition}/signatures/review"
    body = {"action": "invalidate", "signature_ids": [signature_id], "reason": ""}
    assert_error(client.post(url, json=body, headers=auth("reviewer")), 422, "validation_error")
    body = {"action": "invalidate", "signature_ids": [signature_id + 100], "reason": "x"}
    assert_error(client.post(url, json=body, headers=auth("reviewer")), 422, "validation_error")


def test_another_boroughs_organiser_cannot_review_or_read_signers(client, auth, petition, sign):
    sign.signed_and_confirmed(petition)
    base = f"/api/v1/petitions/{petition}"
    assert_error(client.get(f"{base}/signatures", headers=auth("other_organiser")), 403, "forbidden")
    assert_error(client.get(f"{base}/signatures.csv", headers=auth("other_organiser")), 403, "forbidden")
    body = {"action": "invalidate", "signature_ids": [1], "reason": "x"}
    assert_error(client.post(f"{base}/signatures/review", json=body, headers=auth("other_organiser")), 403, "forbidden")
    assert totals(client, petition)["total"] == 1


def test_the_public_sees_totals_only(client, petition, sign):
    sign.signed_and_confirmed(petition)
    assert_error(client.get(f"/api/v1/petitions/{petition}/signatures"), 401, "unauthorized")
    assert_error(client.get(f"/api/v1/petitions/{petition}/signatures.csv"), 401, "unauthorized")
    public = client.get(f"/api/v1/petitions/{petition}").get_data(as_text=True) + client.get(
        f"/api/v1/petitions/{petition}/totals"
    ).get_data(as_text=True)
    for personal in ("Ada", "ada@example.org", "RM10 7TU"):
        assert personal not in public


def test_signers_are_paginated_and_each_read_is_audited(client, auth, petition, sign, session):
    for number in range(5):
        sign(petition, email=f"p{number}@example.org", name=f"Person {number}")
    first = client.get(
        f"/api/v1/petitions/{petition}/signatures?page=1&page_size=2", headers=auth("reviewer")
    ).get_json()
    second = client.get(f"/api/v1/petitions/{petition}/signatures?page=3&page_size=2", headers=auth("admin")).get_json()
    assert first["total"] == 5
    assert [item["name"] for item in first["signatures"]] == ["Person 0", "Person 1"]
    assert [item["name"] for item in second["signatures"]] == ["Person 4"]
    assert first["signatures"][0]["status"] == "pending"
    reads = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "read_personal_data")))
    assert len(reads) == 2
    assert reads[0].details["signature_ids"] == [item["id"] for item in first["signatures"]]


def test_the_signers_csv_is_for_the_owner_only_and_neutralises_formulas(client, auth, petition, sign, session):
    sign.signed_and_confirmed(petition, name='=HYPERLINK("http://evil")', email="x@example.org")
    assert_error(client.get(f"/api/v1/petitions/{petition}/signatures.csv", headers=auth("reviewer")), 403, "forbidden")
    reply = client.get(f"/api/v1/petitions/{petition}/signatures.csv", headers=auth("organiser"))
    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["status"] == "counted"
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "export_personal_data")) is not None
