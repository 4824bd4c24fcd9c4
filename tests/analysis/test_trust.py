"""How far to trust the machine: intervals around precision, recall, F1 and kappa, and a verdict in words."""

import numpy as np
import pytest

from consultation.analysis.service import analyse, reliability
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/analysis/agreement"


def test_wilson_interval_matches_the_published_values():
    # Newcombe (1998), table I: 81 of 263 -> 0.2553 to 0.3662; 0 of 10 -> 0 to 0.2775.
    low, high = reliability.wilson_interval(81, 263)
    assert (low, high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))
    low, high = reliability.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert reliability.wilson_interval(0, 0) is None


def test_f1_interval_holds_the_point_estimate_and_narrows_with_more_codings():
    def indicators(n):
        # The same pattern repeated: F1 = 2*6 / (2*6 + 2 + 2) = 0.75 at every size.
        tp = np.array(([1] * 6 + [0] * 4) * n, dtype=np.float32)
        fp = np.array(([0] * 6 + [1, 1, 0, 0]) * n, dtype=np.float32)
        fn = np.array(([0] * 6 + [0, 0, 1, 1]) * n, dtype=np.float32)
        return tp, fp, fn, reliability.bootstrap_weights(10 * n)

    small = reliability.f1_interval(*indicators(2))
    large = reliability.f1_interval(*indicators(40))
    assert small[0] < 0.75 < small[1] and large[0] < 0.75 < large[1]
    assert large[1] - large[0] < (small[1] - small[0]) / 2
    empty = np.zeros(5, dtype=np.float32)
    assert reliability.f1_interval(empty, empty, empty, reliability.bootstrap_weights(5)) is None


def test_kappa_interval_is_a_point_for_perfect_agreement_and_spans_zero_for_chance():
    labels = ["oppose", "support"] * 30
    assert reliability.kappa_interval(labels, labels, reliability.bootstrap_weights(60)) == (1.0, 1.0)
    chance = ["oppose", "oppose", "support", "support"] * 15
    other = ["oppose", "support"] * 30
    low, high = reliability.kappa_interval(chance, other, reliability.bootstrap_weights(60))
    assert reliability.cohen_kappa(chance, other) == pytest.approx(0.0)
    assert low < 0.0 < high


@pytest.mark.parametrize(
    ("count", "interval", "verdict"),
    [
        (3, (0.9, 1.0), "too_few_codings"),
        (30, (0.72, 0.9), "trusted"),
        (30, (0.3, 0.6), "not_trusted"),
        (30, (0.6, 0.85), "not_yet_known"),
    ],
)
def test_a_themes_verdict_follows_its_interval_not_its_point_estimate(count, interval, verdict):
    said = reliability.theme_verdict(count, interval)
    assert said["verdict"] == verdict
    assert said["reason"][0].isupper() and said["reason"].endswith(".")


def test_the_agreement_endpoint_gives_every_theme_intervals_and_a_verdict(client, auth, session):
    consultation = demo_consultation(session)
    texts = [
        "Two buses to Barking is too far for my elderly mother to travel.",
        "The journey to the next station takes an hour by bus, far too far.",
        "Cutting police funding again is wrong, the budget cuts hurt us.",
    ]
    responses = [make_response(session, consultation, texts[i % 3] + f" Note {i}.") for i in range(24)]
    analyse(session, consultation)
    for index, response in enumerate(responses):
        theme = ["travel_distance", "travel_distance", "funding_cuts"][index % 3]
        coded = client.put(
            f"/api/v1/responses/{response.reference}/coding",
            json={"stance": "oppose", "themes": [theme]},
            headers=auth("reviewer"),
        )
        assert coded.status_code == 200
    body = client.get(URL, headers=auth("reviewer")).get_json()
    assert body["n"] == 24 and body["confidence_level"] == 0.95
    stance = body["stance"]
    assert stance["verdict"] in {"trusted", "not_trusted", "not_yet_known"}
    assert stance["accuracy_interval"][0] <= stance["accuracy"] <= stance["accuracy_interval"][1]
    per_theme = {item["key"]: item for item in body["themes"]["per_theme"]}
    travel = per_theme["travel_distance"]
    assert travel["reviewer_count"] == 16
    for measure in ("precision", "recall", "f1"):
        if travel[f"{measure}_interval"] is not None:
            low, high = travel[f"{measure}_interval"]
            assert 0.0 <= low <= travel[measure] + 1e-9 and travel[measure] - 1e-9 <= high <= 1.0
    assert travel["verdict"] in {"trusted", "not_trusted", "not_yet_known"}
    assert travel["reason"]
    assert set(body["themes"]["trusted"]) == {k for k, v in per_theme.items() if v["verdict"] == "trusted"}
    # The same sample gives the same figures: the bootstrap is seeded.
    assert client.get(URL, headers=auth("reviewer")).get_json() == body


def test_a_theme_reviewers_coded_only_twice_is_not_judged(client, auth, session):
    consultation = demo_consultation(session)
    responses = [make_response(session, consultation, f"The budget cuts are wrong, item {i}.") for i in range(2)]
    analyse(session, consultation)
    for response in responses:
        client.put(
            f"/api/v1/responses/{response.reference}/coding",
            json={"stance": "oppose", "themes": ["funding_cuts"]},
            headers=auth("reviewer"),
        )
    body = client.get(URL, headers=auth("admin")).get_json()
    funding = next(item for item in body["themes"]["per_theme"] if item["key"] == "funding_cuts")
    assert funding["verdict"] == "too_few_codings" and "2 times" in funding["reason"]
    assert body["stance"]["verdict"] == "too_few_codings"
