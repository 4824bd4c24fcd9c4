"""Reviewing possible duplicates: each flagged signature beside the ones it resembles (name, postcode and email
domain, never the address), then counted (the public total moves by exactly those) or not (invalidated), with a
reason, audited; the owner, reviewers and admins only."""

from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.extensions import db
from consultation.petitions import signers
from consultation.petitions.models import Signature
from tests.intake.conftest import assert_error
from tests.petitions.conftest import totals
from tests.petitions.test_packs import register, tally, upload


def duplicates(client, auth, petition, role="reviewer", query=""):
    reply = client.get(f"/api/v1/petitions/{petition}/signatures/duplicates{query}", headers=auth(role))
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def review(client, auth, petition, action, ids, reason="Checked with the signer", role="reviewer"):
    body = {"action": action, "signature_ids": ids, "reason": reason}
    return client.post(f"/api/v1/petitions/{petition}/signatures/review", json=body, headers=auth(role))


def three_possible_duplicates(petition, sign) -> int:
    """Ada counts; three more arrive flagged: her mailbox under a '+tag' elsewhere, her name at her postcode under
    another address, and a close name there. Returns Ada's signature id."""
    assert sign.signed_and_confirmed(petition)["counted"] is True
    flagged = [
        {"email": "ada+petition@example.org", "name": "Bob Other", "postcode": "IG11 7NB"},
        {"email": "lovelace@example.net", "name": "ADA LOVELACE"},
        {"email": "a.lovelace@example.com", "name": "A. Lovelace"},
    ]
    for changes in flagged:
        assert sign.signed_and_confirmed(petition, **changes)["counted"] is False
    return db.session.scalar(select(Signature.id).where(Signature.email == "ada@example.org"))


def test_each_flagged_signature_is_listed_beside_the_one_it_resembles_without_its_address(client, auth, petition, sign):
    ada = three_possible_duplicates(petition, sign)
    page = duplicates(client, auth, petition)
    assert (page["total"], page["page"], page["page_size"]) == (3, 1, 50)
    flagged = {item["signature"]["name"]: item for item in page["flagged"]}
    assert set(flagged) == {"Bob Other", "ADA LOVELACE", "A. Lovelace"}
    assert [(other["id"], other["likeness"]) for other in flagged["Bob Other"]["resembles"]] == [(ada, "same_mailbox")]
    assert flagged["ADA LOVELACE"]["resembles"][0] == {
        **flagged["ADA LOVELACE"]["resembles"][0],
        "id": ada,
        "name": "Ada Lovelace",
        "postcode": "RM10 7TU",
        "email_domain": "example.org",
        "status": "counted",
        "likeness": "same_name",
    }
    assert flagged["ADA LOVELACE"]["signature"]["email_domain"] == "example.net"
    assert flagged["ADA LOVELACE"]["signature"]["flag_reason"]
    # The others flagged at her postcode resemble it too; the counted one comes first.
    assert [other["status"] for other in flagged["A. Lovelace"]["resembles"]] == ["counted", "flagged"]
    assert flagged["A. Lovelace"]["resembles"][0]["likeness"] == "close_name"
    assert all(item["signature"]["confirmed_at"] and item["signature"]["signed_at"] for item in page["flagged"])
    reply = client.get(f"/api/v1/petitions/{petition}/signatures/duplicates", headers=auth("admin"))
    text = reply.get_data(as_text=True)
    for address in ("ada@", "ada+petition@", "lovelace@", "a.lovelace@"):
        assert address not in text.lower()


def test_reading_the_possible_duplicates_is_audited_and_paginated(client, auth, petition, sign, session):
    three_possible_duplicates(petition, sign)
    first = duplicates(client, auth, petition, query="?page=1&page_size=2")
    last = duplicates(client, auth, petition, role="organiser", query="?page=2&page_size=2")
    assert (len(first["flagged"]), len(last["flagged"]), last["total"]) == (2, 1, 3)
    listed = [item["signature"]["id"] for item in first["flagged"] + last["flagged"]]
    assert len(set(listed)) == 3
    [read, _] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "read_personal_data").order_by(AuditEvent.id)
    )
    assert read.details["view"] == "possible duplicates"
    shown = {item["signature"]["id"] for item in first["flagged"]}
    shown |= {other["id"] for item in first["flagged"] for other in item["resembles"]}
    assert read.details["signature_ids"] == sorted(shown)


def test_counting_moves_the_public_total_by_exactly_the_counted_ones(client, auth, petition, sign, session):
    three_possible_duplicates(petition, sign)
    before = totals(client, petition)
    assert (before["total"], before["flagged"]) == (1, 3)
    ids = [item["signature"]["id"] for item in duplicates(client, auth, petition)["flagged"]]
    reply = review(client, auth, petition, "count", ids[:2], reason="Two people: checked by phone")
    assert reply.get_json() == {"action": "count", "requested": 2, "changed": 2}
    after = totals(client, petition)
    assert (after["total"], after["confirmed_online"], after["flagged"]) == (3, 3, 1)
    assert [item["signature"]["id"] for item in duplicates(client, auth, petition)["flagged"]] == ids[2:]

    reply = review(client, auth, petition, "dont_count", ids[2:], reason="The same person twice", role="organiser")
    assert reply.get_json()["changed"] == 1
    final = totals(client, petition)
    assert (final["total"], final["flagged"], final["invalidated"]) == (3, 0, 1)
    assert duplicates(client, auth, petition)["total"] == 0
    refused = db.session.get(Signature, ids[2])
    assert (refused.invalidation_reason, refused.flagged) == ("The same person twice", True)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("%count_signatures")))
    assert [(event.action, event.details["reason"], event.details["changed"]) for event in events] == [
        ("count_signatures", "Two people: checked by phone", 2),
        ("dont_count_signatures", "The same person twice", 1),
    ]


def test_only_undecided_possible_duplicates_change(client, auth, petition, sign):
    ada = three_possible_duplicates(petition, sign)
    ids = [item["signature"]["id"] for item in duplicates(client, auth, petition)["flagged"]]
    assert review(client, auth, petition, "count", [ids[0]]).get_json()["changed"] == 1
    # Counted already (the one just counted, and Ada): counting again or not counting changes nothing.
    assert review(client, auth, petition, "count", [ids[0], ada]).get_json()["changed"] == 0
    assert review(client, auth, petition, "dont_count", [ids[0], ada]).get_json()["changed"] == 0
    assert totals(client, petition)["total"] == 2


def test_restoring_a_signature_not_counted_returns_it_to_the_possible_duplicates(client, auth, petition, sign):
    three_possible_duplicates(petition, sign)
    [first, *_] = [item["signature"]["id"] for item in duplicates(client, auth, petition)["flagged"]]
    review(client, auth, petition, "dont_count", [first])
    assert duplicates(client, auth, petition)["total"] == 2
    assert review(client, auth, petition, "restore", [first], reason="Decided too soon").get_json()["changed"] == 1
    assert duplicates(client, auth, petition)["total"] == 3
    assert totals(client, petition)["total"] == 1


def test_a_decision_needs_a_reason_and_signatures_of_this_petition(client, auth, petition, sign):
    three_possible_duplicates(petition, sign)
    ids = [item["signature"]["id"] for item in duplicates(client, auth, petition)["flagged"]]
    assert_error(review(client, auth, petition, "count", ids, reason="   "), 422, "validation_error")
    assert_error(review(client, auth, petition, "count", [max(ids) + 50]), 422, "validation_error")
    assert_error(review(client, auth, petition, "keep", ids), 422, "validation_error")
    assert totals(client, petition)["total"] == 1


def test_another_boroughs_organiser_and_the_public_reach_no_possible_duplicates(client, auth, petition, sign):
    three_possible_duplicates(petition, sign)
    url = f"/api/v1/petitions/{petition}/signatures/duplicates"
    assert_error(client.get(url, headers=auth("other_organiser")), 403, "forbidden")
    assert_error(client.get(url), 401, "unauthorized")
    ids = [item["signature"]["id"] for item in duplicates(client, auth, petition)["flagged"]]
    assert_error(review(client, auth, petition, "count", ids, role="other_organiser"), 403, "forbidden")
    assert totals(client, petition)["total"] == 1


def test_a_counted_paper_duplicate_joins_the_keyed_in_figure(client, auth, petition, sign):
    sign.signed_and_confirmed(petition)
    assert register(client, auth, petition).status_code == 201
    assert tally(client, auth, petition, counted=2).status_code == 200
    url = f"/api/v1/petitions/{petition}/packs/DAG-01/signatures"
    assert upload(client, auth, url, "name,postcode\nAda Lovelace,RM10 7TU\nBob Baker,IG11 7NB\n").status_code == 201
    before = totals(client, petition)
    [item] = duplicates(client, auth, petition)["flagged"]
    assert (item["signature"]["channel"], item["signature"]["pack"], item["signature"]["email_domain"]) == (
        "paper",
        "DAG-01",
        None,
    )
    assert review(client, auth, petition, "count", [item["signature"]["id"]]).status_code == 200
    after = totals(client, petition)
    assert after["total"] == before["total"] + 1
    assert after["paper_keyed_in"] == before["paper_keyed_in"] + 1


def test_the_service_lists_nothing_for_a_petition_with_no_flags(petition, tokens, session):
    from consultation.accounts.models import User

    reviewer = session.scalar(select(User).where(User.role == "reviewer"))
    assert signers.list_possible_duplicates(session, reviewer, petition, page=1, page_size=10) == ([], 0)
