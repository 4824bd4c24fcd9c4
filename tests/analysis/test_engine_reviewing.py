"""Reviewers' effort where it counts: the next-to-code ranking and agreement figures with intervals."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from consultation.analysis.engine import CodebookSpec
from consultation.analysis.engine.active import (
    rank_for_coding,
    representativeness,
    stance_uncertainty,
    theme_uncertainty,
)
from consultation.analysis.engine.core import Engine
from consultation.analysis.engine.quality import stance_agreement, theme_agreement, wilson_interval


def test_the_wilson_interval_matches_the_textbook_value():
    # 8 of 10: the Wilson 95% interval is 0.490 to 0.943
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-3)
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(0, 5)
    assert low == 0.0 and 0 < high < 0.5


def test_theme_agreement_counts_precision_and_recall_against_reviewers():
    reviewer = [["a"], ["a"], ["a", "b"], ["b"], []]
    machine = [["a"], [], ["a"], ["b", "a"], ["b"]]
    figures = theme_agreement(machine, reviewer, ["a", "b"])
    a, b = figures["a"], figures["b"]
    assert (a["precision"], a["recall"]) == (pytest.approx(2 / 3, abs=1e-4), pytest.approx(2 / 3, abs=1e-4))
    assert (b["precision"], b["recall"]) == (0.5, 0.5)
    assert a["precision_interval"][0] < a["precision"] < a["precision_interval"][1]
    assert a["f1_interval"][0] <= a["f1"] <= a["f1_interval"][1]
    assert a["coded"] == 5 and a["reviewer_count"] == 3 and a["machine_count"] == 3


def test_stance_kappa_is_scikit_learns_and_its_interval_narrows_with_more_codings():
    rng = np.random.default_rng(0)
    reviewer = rng.choice(["oppose", "support", "neutral"], size=400).tolist()
    machine = [r if rng.random() < 0.8 else "neutral" for r in reviewer]
    small = stance_agreement(machine[:30], reviewer[:30])
    large = stance_agreement(machine, reviewer)
    assert large["kappa"] == pytest.approx(cohen_kappa_score(machine, reviewer), abs=1e-4)
    small_width = small["kappa_interval"][1] - small["kappa_interval"][0]
    large_width = large["kappa_interval"][1] - large["kappa_interval"][0]
    assert large_width < small_width
    assert stance_agreement([], [])["kappa"] is None


def test_uncertainty_is_highest_where_the_machine_hesitates():
    stance = stance_uncertainty(np.array([[0.9, 0.05, 0.05], [0.4, 0.4, 0.2]]))
    assert stance[1] > stance[0]
    themes = theme_uncertainty(np.array([[0.95, 0.02], [0.52, 0.1]]), threshold=0.5)
    assert themes[1] > themes[0]


def test_the_ranking_prefers_uncertain_responses_unlike_those_coded():
    vectors = np.eye(4)
    coded = np.eye(4)[[0]]
    # candidates 0 and 1 are equally uncertain; 0 is a copy of a coded response, so 1 teaches more
    order = rank_for_coding(np.array([0.9, 0.9, 0.1, 0.1]), vectors, coded, n=2)
    assert order[0] == 1


def test_a_batch_is_not_filled_with_copies_of_one_doubtful_letter():
    copies = np.tile(np.array([[1.0, 0.0]]), (5, 1))
    other = np.array([[0.0, 1.0]])
    vectors = np.vstack([copies, other])
    uncertainty = np.array([0.9] * 5 + [0.6])
    order = rank_for_coding(uncertainty, vectors, None, n=2)
    assert 5 in order  # the second pick is the different response, not a second copy


def test_the_engine_ranks_what_to_code_next_from_real_text():
    codebook = CodebookSpec.from_dict({"description": "Proposal to close the town library.", "themes": {}})
    engine = Engine(codebook)
    candidates = [
        "I strongly object. Please do not close the library.",
        "Hmm, the opening hours matter more to me than the building, not sure really.",
        "I strongly object. Please do not close the library!",
    ]
    order = engine.next_to_code(candidates, coded=["I object to closing it."], n=2)
    assert order[0] == 1 and len(set(order)) == 2


def test_a_response_that_stands_for_a_crowd_comes_before_an_equally_doubtful_outlier():
    rng = np.random.default_rng(0)
    centre = np.eye(8)[0]
    crowd = centre + 0.05 * rng.standard_normal((12, 8))
    outlier = np.eye(8)[[5]]
    vectors = np.vstack([crowd, outlier])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    representative = representativeness(vectors)
    assert representative[-1] == 0.0 and representative[:-1].min() > 0.5
    uncertainty = np.full(len(vectors), 0.8)
    assert rank_for_coding(uncertainty, vectors, None, n=1) != [len(vectors) - 1]
    # once one of the crowd is coded, the rest of it is no longer new: the outlier is next
    assert rank_for_coding(uncertainty, vectors, vectors[:12], n=1) == [len(vectors) - 1]


def test_a_small_pool_counts_every_candidate_as_equally_representative():
    vectors = np.eye(4)
    assert representativeness(vectors).tolist() == [1.0, 1.0, 1.0, 1.0]


def test_past_the_sample_size_each_candidate_is_still_measured_against_others_not_itself(monkeypatch):
    from consultation.analysis.engine import active

    monkeypatch.setattr(active, "DENSITY_SAMPLE", 15)
    rng = np.random.default_rng(1)
    crowd = np.eye(16)[0] + 0.05 * rng.standard_normal((30, 16))
    loners = np.eye(16)[1:11] + 0.05 * rng.standard_normal((10, 16))
    vectors = np.vstack([crowd, loners])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    representative = representativeness(vectors)
    assert representative[:30].min() > 0.8 > 0.2 > representative[30:].max()
    # whether or not a crowd member fell in the sample, it scores alike (its own similarity is never counted)
    assert representative[:30].std() < 0.05
