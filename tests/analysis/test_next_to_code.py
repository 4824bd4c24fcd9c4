"""What to code next: the responses the machine is least sure of and that are unlike those coded, with why."""

import numpy as np
import pytest

from consultation.analysis.service import analyse
from consultation.analysis.service.next_to_code import novelty_of_picks
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/analysis/next-to-code"


def ranked(client, headers, query: str = "", url: str = URL):
    """Ask for the ranking (202, a job: it never runs in the request) and poll the job; its result once done."""
    started = client.post(f"{url}{query}", headers=headers)
    if started.status_code != 202:
        return started
    polled = client.get(started.get_json()["poll_url"], headers=headers)
    assert polled.status_code == 200 and polled.get_json()["status"] == "done", polled.get_json()
    return polled.get_json()["result"]


def test_novelty_of_each_pick_counts_the_coded_and_the_picks_before_it():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    coded = np.array([[0.6, 0.8]])
    novelty = novelty_of_picks([0, 1, 2], vectors, coded)
    assert novelty == pytest.approx([0.4, 0.0, 0.2])
    assert novelty_of_picks([2], vectors, np.zeros((0, 2))) == [1.0]


def _seed(session):
    consultation = demo_consultation(session)
    texts = [
        "Two buses to Barking is far too far for my mum who is 84.",
        "Cutting the police budget again will make crime worse round here.",
        "I am not sure, maybe it is fine, maybe not, I rarely go there.",
        "The counter helped me report a burglary last year, keep it.",
        "Online reporting works well for me, so this seems sensible.",
    ]
    responses = [make_response(session, consultation, f"{texts[i % 5]} Number {i}.") for i in range(15)]
    barkingside = make_response(
        session, consultation, "Nobody I know uses the Barkingside counter any more.", station_slug="barkingside"
    )
    analyse(session, consultation)
    return consultation, responses, barkingside


def test_next_to_code_lists_uncoded_responses_with_their_scores_and_why(client, auth, session):
    _, responses, _ = _seed(session)
    coded = responses[0]
    client.put(
        f"/api/v1/responses/{coded.reference}/coding",
        json={"stance": "oppose", "themes": ["travel_distance"]},
        headers=auth("reviewer"),
    )
    body = ranked(client, auth("reviewer"), "?n=5")
    assert len(body["items"]) == 5 and body["coded"] == 1 and body["pool"] == 15
    assert body["closeness"] in {"sentence_model", "words"}
    references = [item["reference"] for item in body["items"]]
    assert coded.reference not in references and len(set(references)) == 5
    scores = [item["scores"]["score"] for item in body["items"]]
    assert scores[0] == max(scores)
    for item in body["items"]:
        assert 0.0 <= item["scores"]["uncertainty"] <= 1.0 and 0.0 <= item["scores"]["novelty"] <= 1.0
        assert item["why"].startswith("The machine is") and item["machine_stance"] in {"oppose", "support", "neutral"}
        assert 0.0 <= item["scores"]["representative"] <= 1.0
        assert item["why"].endswith(f"so far (novelty {item['scores']['novelty']:.2f}).")
        assert any(
            f"; {words} so far" in item["why"]
            for words in ("unlike anything coded", "somewhat like a response coded", "close to a response coded")
        )
    # Five listed out of five kinds of text: the picks spread over them rather than repeating one kind.
    kinds = {item["text"].split(" Number")[0] for item in body["items"]}
    assert len(kinds) >= 4


def test_organisers_see_only_responses_from_their_boroughs(client, auth, session):
    _, _, barkingside = _seed(session)
    mine = ranked(client, auth("organiser"), "?n=50")
    assert mine["pool"] == 15 and barkingside.reference not in {item["reference"] for item in mine["items"]}
    theirs = ranked(client, auth("other_organiser"), "?n=50")
    assert [item["reference"] for item in theirs["items"]] == [barkingside.reference]


def test_next_to_code_refuses_a_bad_count_and_strangers(client, auth, session):
    demo_consultation(session)
    refused = ranked(client, auth("reviewer"), "?n=0")
    assert refused.status_code == 422 and refused.get_json()["code"] == "validation_error"
    assert ranked(client, auth("reviewer"), "?n=many").status_code == 422
    assert ranked(client, {}).status_code == 401
    missing = ranked(client, auth("reviewer"), url="/api/v1/consultations/no-such-thing/analysis/next-to-code")
    assert missing.status_code == 404
    assert client.get(f"{URL}/0123456789abcdef", headers=auth("reviewer")).status_code == 404


def test_next_to_code_before_any_analysis_is_an_empty_list(client, auth, session):
    demo_consultation(session)
    body = ranked(client, auth("reviewer"))
    assert body["items"] == [] and body["pool"] == 0


def test_next_to_code_reads_the_stored_vectors_and_embeds_nothing_again(client, auth, session, monkeypatch):
    from consultation.analysis.engine import embedding

    if not embedding.model_available():
        pytest.skip("the sentence model package is not installed (make install adds it)")
    _, responses, _ = _seed(session)  # the run embeds and stores every response's vectors
    # codings, so that the models are trained and read the learning vectors (untrained, they need none)
    for response, stance, theme in zip(
        responses,
        ["oppose", "support", "neutral", "oppose"],
        ["travel_distance", "funding_cuts", "usage_figures", "travel_distance"],
        strict=False,
    ):
        reply = client.put(
            f"/api/v1/responses/{response.reference}/coding",
            json={"stance": stance, "themes": [theme]},
            headers=auth("reviewer"),
        )
        assert reply.status_code == 200, reply.get_json()
    assert ranked(client, auth("reviewer"), "?n=5")["items"]  # fits the models on the codings
    embedded: list[str] = []
    real_encode = embedding.MiniLM.encode

    def counting_encode(self, texts, progress=None):
        embedded.extend(texts)
        return real_encode(self, texts, progress)

    monkeypatch.setattr(embedding.MiniLM, "encode", counting_encode)
    embedding.process_cache.clear()
    assert ranked(client, auth("reviewer"), "?n=5")["closeness"] == "sentence_model"
    assert embedded == [], f"next-to-code embedded {len(embedded)} texts the run had stored"
