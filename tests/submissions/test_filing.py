"""Filing: the intake deadline rule (server clock, London time, 17:30:00.000 is late), the frozen submission, the
SHA-256 receipt and its public verification, and the filed submission in the reviewers' response listing."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from consultation.clock import london_wall_time
from tests.submissions.conftest import assert_error, make_consultation, submission_body

MILLISECOND = timedelta(milliseconds=1)
# closing day, the deadline in UTC (zoneinfo decides BST or GMT), and how the refusal names it
DEADLINES = {
    "summer": ((2017, 10, 6), datetime(2017, 10, 6, 16, 30, tzinfo=UTC), "17:30 on Friday 6 October 2017"),
    "winter": ((2017, 12, 1), datetime(2017, 12, 1, 17, 30, tzinfo=UTC), "17:30 on Friday 1 December 2017"),
}


@pytest.fixture(params=list(DEADLINES))
def deadline(request, boroughs, freeze):
    (year, month, day), closes_at_utc, text = DEADLINES[request.param]
    closes_at = london_wall_time(year, month, day, 17, 30)
    assert closes_at == closes_at_utc
    freeze(closes_at - timedelta(days=1))
    make_consultation("front-counters", closes_at)
    return closes_at, text


@pytest.fixture
def draft(client, auth, deadline):
    response = client.post("/api/v1/submissions", json=submission_body(), headers=auth("organiser"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_filing_at_1730_london_time_exactly_is_refused_with_the_london_deadline(client, auth, freeze, deadline, draft):
    closes_at, text = deadline
    freeze(closes_at)
    body = assert_error(
        client.post(f"/api/v1/submissions/{draft}/file", headers=auth("organiser")), 409, "consultation_closed"
    )
    assert body["message"] == f"This consultation closed at {text} (London time)."
    assert client.get(f"/api/v1/submissions/{draft}", headers=auth("organiser")).get_json()["status"] == "draft"


def test_filing_one_millisecond_before_1730_is_accepted_then_frozen_and_verifiable(
    client, auth, freeze, deadline, draft
):
    closes_at, text = deadline
    freeze(closes_at - MILLISECOND)
    response = client.post(f"/api/v1/submissions/{draft}/file", headers=auth("organiser"))
    assert response.status_code == 202, response.get_json()  # a job (run inline in tests); poll it for the receipt
    job = client.get(response.get_json()["poll_url"], headers=auth("organiser")).get_json()
    assert job["status"] == "done" and job["purpose"] == "filing"
    receipt = job["filing"]
    assert receipt["reference"].startswith("SUB-")
    assert receipt["filed_at"] == (closes_at - MILLISECOND).isoformat().replace("+00:00", "Z")
    assert receipt["filed_at_london"] == f"{text.replace('17:30', '17:29')} (London time)"

    # The stored PDF is the one the hash names, and it says it was filed.
    pdf = client.get(f"/api/v1/submissions/{draft}/pdf", headers=auth("reviewer"))
    assert hashlib.sha256(pdf.data).hexdigest() == receipt["sha256"] == pdf.headers["X-Content-SHA256"]

    # Frozen: no change, no second filing, no new letterhead, no deletion.
    base = f"/api/v1/submissions/{draft}"
    assert_error(client.patch(base, json={"title": "Changed"}, headers=auth("organiser")), 409, "submission_filed")
    assert_error(client.patch(base, json={"title": "Changed"}, headers=auth("admin")), 409, "submission_filed")
    assert_error(client.post(f"{base}/file", headers=auth("organiser")), 409, "submission_filed")
    assert_error(client.delete(base, headers=auth("organiser")), 409, "submission_filed")

    # Public verification by hash: when, and by which organisation; no personal data.
    verified = client.get(f"/api/v1/submissions/verify?sha256={receipt['sha256'].upper()}").get_json()
    assert verified["filed"] is True and verified["reference"] == receipt["reference"]
    assert verified["organisation"] == "Dagenham residents' association"
    assert verified["filed_at"] == receipt["filed_at"]
    assert "A. Organiser" not in str(verified)
    assert client.get(f"/api/v1/submissions/verify?sha256={'0' * 64}").get_json() == {
        "sha256": "0" * 64,
        "filed": False,
    }
    assert_error(client.get("/api/v1/submissions/verify?sha256=abc"), 422, "validation_error")

    # Reviewers see it among the responses, as channel "submission", for its station.
    listing = client.get(
        "/api/v1/consultations/front-counters/responses?channel=submission", headers=auth("reviewer")
    ).get_json()
    assert [(item["station"], item["channel"], item["reference"]) for item in listing["responses"]] == [
        ("dagenham", "submission", receipt["responses"][0])
    ]
