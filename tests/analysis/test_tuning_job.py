"""The tuning job: due after enough codings, queued by the analysis run, its progress in the analysis status, its
tuned layers stored and then used; and the untuned model still codes before (and without) any tuning."""

import pytest

from consultation.analysis.engine import finetune
from consultation.analysis.models import AnalysisTuning
from consultation.analysis.service import analyse, tuning
from consultation.analysis.service.fitting import get_models
from consultation.analysis.service.tuning_job import set_tuning_dispatcher, tune_consultation
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/analysis/status"
TRAVEL = ["The next station is two buses away.", "It takes an hour to get there on foot.", "I cannot drive that far."]
CRIME = ["Burglaries on our road have doubled.", "Knife crime is up this year.", "Cars are broken into weekly."]


@pytest.fixture
def small_tuning(monkeypatch):
    """Tuning sized for a test: from four codings, three steps of one layer."""
    monkeypatch.setattr(tuning, "MIN_CODINGS_TO_TUNE", 4)
    monkeypatch.setattr(finetune, "TUNED_LAYERS", 1)
    monkeypatch.setattr(finetune, "MIN_STEPS", 3)
    monkeypatch.setattr(finetune, "MAX_STEPS", 3)
    dispatched: list[int] = []
    set_tuning_dispatcher(lambda session, consultation_id: dispatched.append(consultation_id))
    yield dispatched
    set_tuning_dispatcher(None)


def _coded_consultation(client, auth, session):
    consultation = demo_consultation(session)
    for texts, stance, theme in ((TRAVEL, "oppose", "travel_distance"), (CRIME, "support", "rising_crime")):
        for text in texts:
            response = make_response(session, consultation, text)
            client.put(
                f"/api/v1/responses/{response.reference}/coding",
                json={"stance": stance, "themes": [theme]},
                headers=auth("reviewer"),
            )
    return consultation


def test_the_demo_codes_without_any_tuning(client, auth, session):
    consultation = demo_consultation(session)
    make_response(session, consultation, "Please keep the counter open, the next one is two buses away.")
    summary = analyse(session, consultation)
    assert summary.analysed == 1
    body = client.get(URL, headers=auth("reviewer")).get_json()
    assert body["analysed"] == 1 and body["tuning"]["state"] == "none" and body["tuning"]["in_use"] is False


def test_the_run_queues_a_tuning_once_enough_responses_are_coded(client, auth, session, small_tuning):
    consultation = demo_consultation(session)
    make_response(session, consultation, TRAVEL[0])
    analyse(session, consultation)
    assert small_tuning == []  # no codings yet
    consultation = _coded_consultation(client, auth, session)
    analyse(session, consultation)
    assert small_tuning == [consultation.id]
    assert session.get(AnalysisTuning, consultation.id).state == "queued"
    analyse(session, consultation)  # same codings: nothing new to tune on, and a job is queued already
    assert small_tuning == [consultation.id]


def test_the_status_shows_the_job_progress_and_the_tuned_model_then_codes(client, auth, session, small_tuning):
    consultation = _coded_consultation(client, auth, session)
    before = get_models(session, consultation).version
    seen = []

    def progress(done, total):
        seen.append(client.get(URL, headers=auth("reviewer")).get_json()["tuning"])

    summary = tune_consultation(session, consultation.id, progress=progress)
    assert [(s["state"], s["steps_done"], s["steps_total"]) for s in seen] == [("running", i, 3) for i in (1, 2, 3)]
    assert summary["state"] == "done" and summary["in_use"] and summary["tuned_on_codings"] == 6
    body = client.get(URL, headers=auth("reviewer")).get_json()["tuning"]
    assert body["state"] == "done" and body["progress"] == 1.0 and body["in_use"] is True
    assert body["next_at_codings"] == 9
    assert get_models(session, consultation).version != before  # the models refit on the tuned vectors
    assert analyse(session, consultation).analysed == 6


def test_a_codebook_with_new_theme_keys_sets_the_tuning_aside(client, auth, session, small_tuning):
    consultation = _coded_consultation(client, auth, session)
    tune_consultation(session, consultation.id)
    client.post(
        "/api/v1/consultations/public-access-demo/codebook/themes",
        json={"key": "parking", "label": "Parking", "description": "Nowhere to park"},
        headers=auth("reviewer"),
    )
    assert client.get(URL, headers=auth("reviewer")).get_json()["tuning"]["in_use"] is False
