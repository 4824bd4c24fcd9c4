"""Agreement between the machine and reviewers: stance kappa and accuracy, per-theme precision, recall and F1."""

import pytest

from consultation.analysis.engine.quality import stance_agreement
from consultation.analysis.service import analyse
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/analysis/agreement"


def cohen_kappa(first, second):
    return stance_agreement(first, second)["kappa"]


def test_cohen_kappa_matches_the_textbook_values():
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == 1.0
    assert cohen_kappa([], []) is None
    # 20 items: observed 0.7, expected 0.5 -> kappa 0.4
    first = ["y"] * 10 + ["n"] * 10
    second = ["y"] * 7 + ["n"] * 3 + ["y"] * 3 + ["n"] * 7
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0


def test_agreement_compares_the_machines_own_output_with_each_reviewer_coding(client, auth, session):
    consultation = demo_consultation(session)
    agree = make_response(session, consultation, "Keep it open, two buses to Barking is too far.", agreement="disagree")
    differ = make_response(
        session, consultation, "Sensible plan, everyone reports crime online now.", agreement="agree"
    )
    uncoded_yet = make_response(session, consultation, "Fine.")
    analyse(session, consultation)
    client.put(
        f"/api/v1/responses/{agree.reference}/coding",
        json={"stance": "oppose", "themes": ["travel_distance"]},
        headers=auth("reviewer"),
    )
    client.put(
        f"/api/v1/responses/{differ.reference}/coding",
        json={"stance": "oppose", "themes": ["funding_cuts"]},
        headers=auth("reviewer"),
    )
    extra = make_response(session, consultation, "Keep it.")
    client.put(
        f"/api/v1/responses/{extra.reference}/coding", json={"stance": "oppose", "themes": []}, headers=auth("reviewer")
    )
    response = client.get(URL, headers=auth("reviewer"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["reviewer_coded"] == 3 and body["n"] == 2 and body["without_machine_coding"] == 1
    assert body["stance"]["accuracy"] == 0.5
    assert body["stance"]["confusion"]["oppose"] == {"oppose": 1, "support": 1, "neutral": 0, "none": 0}
    assert body["stance"]["kappa"] == 0.0
    per_theme = {item["key"]: item for item in body["themes"]["per_theme"]}
    assert per_theme["funding_cuts"]["reviewer_count"] == 1 and per_theme["funding_cuts"]["recall"] == 0.0
    assert 0.0 <= body["themes"]["micro_f1"] <= 1.0
    assert body["themes"]["macro_f1"] is not None
    assert uncoded_yet.reference not in str(body)


def test_agreement_without_codings_is_empty_not_an_error(client, auth, session):
    demo_consultation(session)
    body = client.get(URL, headers=auth("admin")).get_json()
    assert body["n"] == 0 and body["stance"]["kappa"] is None and body["themes"]["macro_f1"] is None


def test_agreement_is_for_reviewers_and_admins(client, auth, session):
    demo_consultation(session)
    assert client.get(URL, headers=auth("organiser")).status_code == 403
    assert client.get(URL).status_code == 401
