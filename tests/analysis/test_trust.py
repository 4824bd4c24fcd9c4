"""How far to trust the machine: intervals around precision, recall, F1 and kappa, and a verdict in words."""

import pytest

from consultation.analysis.engine.quality import theme_agreement
from consultation.analysis.service import analyse, reliability
from tests.analysis.analysis_support import demo_consultation, make_response

URL = "/api/v1/consultations/public-access-demo/analysis/agreement"


def test_intervals_hold_the_point_estimates_and_narrow_with_more_codings():
    def figures(repeats):
        # The same pattern repeated: F1 = 2*6 / (2*6 + 2 + 2) = 0.75 at every size.
        machine = ([["a"]] * 6 + [["a"], ["a"], [], []]) * repeats
        reviewer = ([["a"]] * 6 + [[], [], ["a"], ["a"]]) * repeats
        return theme_agreement(machine, reviewer, ["a"])["a"]

    small, large = figures(2), figures(40)
    assert small["f1"] == large["f1"] == 0.75
    for measure in ("precision", "recall", "f1"):
        low, high = small[f"{measure}_interval"]
        wide = high - low
        low, high = large[f"{measure}_interval"]
        assert low < large[measure] < high and high - low < wide / 2


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
