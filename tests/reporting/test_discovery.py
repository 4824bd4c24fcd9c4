"""Discovery: clusters of what the codebook misses, shown with redacted examples, promotable into a theme."""

import pytest

from consultation.analysis.service import analyse
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/themes/discover"


def discover(client, headers, query: str = ""):
    """Start discovery (202, a job: it never runs in the request) and poll the job; its result once done."""
    started = client.post(f"{URL}{query}", headers=headers)
    if started.status_code != 202:
        return started
    assert started.get_json()["status"] in ("queued", "done")
    polled = client.get(started.get_json()["poll_url"], headers=headers)
    assert polled.status_code == 200 and polled.get_json()["status"] == "done", polled.get_json()
    return polled.get_json()["result"]


PARKING = [
    "Parking near here is impossible, no spaces and the car park charges are outrageous.",
    "There is never any parking, the car park is always full and the spaces are tiny.",
    "Car park charges went up again and there are no parking spaces left.",
    "The car park is full every day and parking spaces are gone.",
    "Parking spaces were removed, the car park is too expensive.",
    "The car park is shut and there is no parking on the road either.",
    "Parking permits cost too much and the car park has no spaces.",
    "No parking spaces anywhere, the car park barrier is always broken.",
]
LITTER = [
    "Dog mess on every pavement, the bins overflow and nobody empties them.",
    "The bins are never emptied and there is dog mess on the pavement.",
    "Overflowing bins and dog fouling all along the pavement.",
    "Fly tipping and overflowing bins, the pavement is covered in dog mess.",
    "Bins left for weeks, rubbish and dog fouling on the pavement.",
    "The pavement is filthy with dog mess and the bins overflow.",
    "Rubbish bins overflow every weekend and dog mess covers the pavement.",
    "Nobody empties the bins and the dog fouling is disgusting.",
]


def test_discovery_clusters_uncovered_responses_with_redacted_examples_only(client, auth, session):
    consultation = demo_consultation(session)
    texts = PARKING + LITTER
    texts[1] += " Email me at pat.smith@example.com or call 07700 900123."
    responses = [make_response(session, consultation, text, commit=False) for text in texts]
    session.commit()
    analyse(session, consultation)
    body = discover(client, auth("reviewer"))
    assert body["analysed_responses"] == len(texts)
    clusters = body["clusters"]
    assert clusters and all(cluster["size"] >= 1 and cluster["top_terms"] for cluster in clusters)
    references = {response.reference for response in responses}
    text = str(body)
    assert "pat.smith@example.com" not in text and "07700 900123" not in text
    for cluster in clusters:
        assert cluster["key"] and cluster["suggested_key"]
        for example in cluster["examples"]:
            assert example["reference"] in references
    terms = " ".join(term for cluster in clusters for term in cluster["top_terms"])
    assert "park" in terms or "bins" in terms or "dog" in terms


def test_a_discovered_cluster_is_promoted_into_a_theme(client, auth, session):
    consultation = demo_consultation(session)
    responses = [make_response(session, consultation, text, commit=False) for text in PARKING + LITTER]
    session.commit()
    analyse(session, consultation)
    cluster = discover(client, auth("reviewer"))["clusters"][0]
    body = {
        "key": "local_concern",
        "label": cluster["suggested_label"] or "Local concern",
        "description": "Promoted from discovery: " + ", ".join(cluster["top_terms"][:3]),
        "from_cluster": cluster["key"],
        "example_references": [example["reference"] for example in cluster["examples"][:2]],
    }
    created = client.post("/api/v1/consultations/public-access-demo/codebook/themes", json=body, headers=auth("admin"))
    assert created.status_code == 201, created.get_json()
    theme = created.get_json()
    assert theme["origin"] == "discovered" and len(theme["examples"]) == 2
    assert {r.reference for r in responses} >= set(body["example_references"])
    summary = analyse(session, consultation)
    assert summary.analysed == len(responses)


def test_discovery_with_nothing_analysed_returns_no_clusters(client, auth, session):
    demo_consultation(session)
    body = discover(client, auth("reviewer"))
    assert body == {"consultation": "public-access-demo", "analysed_responses": 0, "clusters": []}


def test_discovery_is_for_reviewers_and_admins_and_checks_its_arguments(client, auth, session):
    demo_consultation(session)
    assert discover(client, auth("organiser")).status_code == 403
    bad = discover(client, auth("reviewer"), "?max_clusters=99")
    assert bad.status_code == 422 and "max_clusters" in bad.get_json()["errors"]


def test_discovery_runs_as_a_job_never_in_the_request_and_only_its_requester_reads_it(
    client, auth, session, monkeypatch
):
    from consultation.reporting import tasks

    demo_consultation(session)
    queued = []
    monkeypatch.setattr(tasks.discover_job, "delay", lambda job_id: queued.append(job_id))
    monkeypatch.setattr(tasks.service, "discover", lambda *args, **kwargs: pytest.fail("discovered in the request"))
    started = client.post(URL, headers=auth("reviewer"))
    assert started.status_code == 202 and started.get_json()["status"] == "queued"
    assert queued == [started.get_json()["id"]]
    poll_url = started.get_json()["poll_url"]
    assert client.get(poll_url, headers=auth("reviewer")).get_json()["result"] is None
    assert client.get(poll_url, headers=auth("admin")).status_code == 404  # someone else's job
    monkeypatch.undo()
    assert tasks.discover_job(queued[0]) == "done"  # what the worker runs
    assert client.get(poll_url, headers=auth("reviewer")).get_json()["result"]["clusters"] == []
