"""Tuning MiniLM's top layers on codings (engine/finetune.py): real weights, a tiny set, a few steps."""

import numpy as np
import pytest

from consultation.analysis.engine import CodebookSpec, model_status
from consultation.analysis.engine.embedding import learning_vectors, load_model
from consultation.analysis.engine.finetune import (
    TunedEncoder,
    TunedVectors,
    _flat,
    lower_states,
    pair_targets,
    tune,
)
from consultation.analysis.engine.scoring import evaluate

PARKING = [
    "There is nowhere to leave the car near the building.",
    "Finding a space for my vehicle takes half an hour.",
    "The car park is always full by nine.",
    "Drivers circle the block looking for somewhere to stop.",
    "Street spaces are taken by commuters all day.",
    "I had to leave my van two streets away.",
]
OPENING_HOURS = [
    "It should open later in the evening for people who work.",
    "Closing at four is far too early in the day.",
    "Weekend hours would help families a lot.",
    "Please stay open until eight on weekdays.",
    "Shutting at lunchtime makes no sense to me.",
    "Saturday morning opening would suit me best.",
]


@pytest.fixture(scope="module", autouse=True)
def model_installed():
    status = model_status()
    assert status["available"], f"sentence model missing: {status['reason']}"


def _separation(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Mean cosine within a theme minus mean cosine across the two themes."""
    similarity = vectors @ vectors.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    return float(similarity[same & off_diagonal].mean() - similarity[~same].mean())


def test_tuned_vectors_separate_two_themes_better_than_the_frozen_ones():
    texts = PARKING + OPENING_HOURS
    themes = [["parking"]] * len(PARKING) + [["hours"]] * len(OPENING_HOURS)
    labels = np.array([0] * len(PARKING) + [1] * len(OPENING_HOURS))
    encoder = tune(texts, [None] * len(texts), themes, layers=1, steps=6, batch=8, rate=2e-4, seed=1)
    assert encoder is not None and encoder.steps == 6 and encoder.loss_after < encoder.loss_before
    frozen = learning_vectors(texts, cache={})
    tuned = encoder.learning_vectors(texts)
    assert _separation(tuned, labels) > _separation(frozen, labels) + 0.05


def test_untouched_layers_give_back_the_frozen_learning_vectors():
    """The tuned path, run with the model's own weights, is the frozen model: the split below the top is exact."""
    model = load_model()
    encoder = TunedEncoder(2, [_flat(model.layers[4]), _flat(model.layers[5])])
    texts = PARKING[:3]
    assert np.abs(encoder.learning_vectors(texts) - learning_vectors(texts, cache={})).max() < 1e-5
    assert [len(item.states) for item in lower_states(texts, 2)] == [len(ids) for ids in model.token_ids(texts)]


def test_stored_weights_round_trip_and_stay_a_few_megabytes():
    model = load_model()
    encoder = TunedEncoder(1, [_flat(model.layers[5])], codings=12, steps=3, loss_before=0.3, loss_after=0.2)
    blob = encoder.to_bytes()
    again = TunedEncoder.from_bytes(blob)
    assert len(blob) < 5_000_000 and (again.layers, again.codings, again.steps) == (1, 12, 3)
    assert np.abs(again.learning_vectors(PARKING[:2]) - encoder.learning_vectors(PARKING[:2])).max() < 0.02


def test_pairs_come_only_from_labels_that_vary():
    target, weight = pair_targets(["support"] * 4, [["a"], ["a"], ["b"], []])
    # every response supports: stance gives no pairs; themes do (only two themes, but "b" has one coding)
    assert weight.sum() == 0
    target, weight = pair_targets(["oppose", "oppose", "oppose", "support", "support", "support"], [None] * 6)
    assert weight[0, 1] == 1 and target[0, 1] == 1.0 and target[0, 3] == 0.0 and weight[0, 0] == 0


def test_the_engine_codes_with_tuned_vectors_and_without_them():
    codebook = CodebookSpec.from_dict({"themes": {"parking": "Parking spaces", "hours": "Opening hours"}})
    records = [{"text": t, "stance": "oppose", "themes": ["parking"]} for t in PARKING] + [
        {"text": t, "stance": "support", "themes": ["hours"]} for t in OPENING_HOURS
    ]
    encoder = tune(
        [r["text"] for r in records],
        [r["stance"] for r in records],
        [r["themes"] for r in records],
        layers=1,
        steps=2,
        batch=6,
    )
    tuned = TunedVectors(encoder, {})
    assert tuned.stored_pairs(PARKING[:2]).shape == (2, 768)
    for result in (
        evaluate(records, codebook, records, cache={}),
        evaluate(records, codebook, records, encoder=encoder),
    ):
        assert result["theme_micro_f1"] > 0.5
