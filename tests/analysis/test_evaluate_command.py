"""`flask evaluate-analysis`: scores the analysis against labelled JSONL and prints one JSON object."""

import json

from tests.conftest import shared_path

RECORDS = [
    {
        "id": "a",
        "text": "Keep it open, my mum cannot manage two buses to Barking.",
        "stance": "oppose",
        "themes": ["travel_distance", "vulnerable_access"],
        "flags": [],
    },
    {
        "id": "b",
        "text": "Sensible, I report everything online anyway.",
        "stance": "support",
        "themes": ["alternative_reporting"],
        "flags": [],
    },
    {
        "id": "c",
        "text": "Email me at jo@example.com, the building will be sold for flats.",
        "stance": "oppose",
        "themes": ["building_disposal"],
        "flags": ["pii"],
    },
    {
        "id": "d",
        "text": "Not sure, what happens to the officers based there?",
        "stance": "neutral",
        "themes": ["building_disposal"],
        "flags": [],
    },
    {
        "id": "e",
        "text": "Cuts, cuts and more cuts. Idiots.",
        "stance": "oppose",
        "themes": ["funding_cuts"],
        "flags": ["abusive"],
    },
    {
        "id": "f",
        "text": "Knife crime is rising here, closing it now is madness.",
        "stance": "oppose",
        "themes": ["rising_crime"],
        "flags": [],
    },
]


def _write(path, records) -> str:
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    return str(path)


def _result(output: str) -> dict:
    return json.loads(output)


def test_it_prints_stance_theme_and_flag_scores_as_one_json_object(runner, tmp_path):
    test = _write(tmp_path / "test.jsonl", RECORDS)
    result = runner.invoke(args=["evaluate-analysis", "--test", test])
    assert result.exit_code == 0, result.output
    scores = _result(result.output)
    for key in ("stance_macro_f1", "theme_micro_f1", "theme_macro_f1", "per_theme_f1"):
        assert key in scores
    assert set(scores["flags"]) == {"pii", "abusive"}
    assert {"precision", "recall"} <= set(scores["flags"]["pii"])
    assert 0.0 <= scores["stance_macro_f1"] <= 1.0
    assert scores["n_test"] == 6 and scores["n_train"] == 0


def test_it_learns_from_a_train_file_and_takes_a_codebook(runner, tmp_path):
    test = _write(tmp_path / "test.jsonl", RECORDS[:3])
    train = _write(tmp_path / "train.jsonl", RECORDS[3:] * 4)
    codebook = tmp_path / "codebook.json"
    codebook.write_text(
        json.dumps({"themes": {"travel_distance": "Getting to the counter", "building_disposal": "Selling the site"}})
    )
    result = runner.invoke(args=["evaluate-analysis", "--test", test, "--train", train, "--codebook", str(codebook)])
    assert result.exit_code == 0, result.output
    scores = _result(result.output)
    assert scores["n_train"] == 12
    assert set(scores["per_theme_f1"]) <= {"travel_distance", "building_disposal"}


def test_cross_validation_reports_means_and_spreads(runner, tmp_path):
    test = _write(tmp_path / "test.jsonl", RECORDS * 2)
    result = runner.invoke(args=["evaluate-analysis", "--test", test, "--cv", "3"])
    assert result.exit_code == 0, result.output
    scores = _result(result.output)
    assert scores["folds"] == 3
    assert {"mean", "std"} == set(scores["stance_macro_f1"])


def test_missing_and_malformed_files_are_clear_errors_not_tracebacks(runner, tmp_path):
    missing = runner.invoke(args=["evaluate-analysis", "--test", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine", "stance": "oppose"}\n{oops\n')
    broken = runner.invoke(args=["evaluate-analysis", "--test", str(bad)])
    assert broken.exit_code == 2 and "line 2: not JSON" in broken.output
    assert "Traceback" not in broken.output
    no_text = tmp_path / "no_text.jsonl"
    no_text.write_text('{"stance": "oppose"}\n')
    assert "needs an object with a 'text'" in runner.invoke(args=["evaluate-analysis", "--test", str(no_text)]).output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert "holds no records" in runner.invoke(args=["evaluate-analysis", "--test", str(empty)]).output
    codebook = tmp_path / "codebook.json"
    codebook.write_text("[1, 2]")
    test = _write(tmp_path / "test.jsonl", RECORDS)
    wrong = runner.invoke(args=["evaluate-analysis", "--test", test, "--codebook", str(codebook)])
    assert wrong.exit_code == 2 and "is not a codebook" in wrong.output
    too_many = runner.invoke(args=["evaluate-analysis", "--test", test, "--cv", "50"])
    assert too_many.exit_code == 2 and "folds need at least" in too_many.output


def test_on_the_shared_dev_set_with_its_codebook(runner):
    dev = shared_path("data", "dev_responses.jsonl")
    codebook = shared_path("data", "codebook.json")
    result = runner.invoke(args=["evaluate-analysis", "--test", str(dev), "--codebook", str(codebook)])
    assert result.exit_code == 0, result.output
    scores = _result(result.output)
    assert scores["n_test"] == 150
    assert len(scores["per_theme_f1"]) == 10
    # Zero-shot, untrained: these are floors that catch a broken pipeline, not targets.
    assert scores["stance_macro_f1"] > 0.34 and scores["theme_micro_f1"] > 0.2


def test_it_says_whether_the_sentence_model_was_used(runner, tmp_path):
    test = _write(tmp_path / "test.jsonl", RECORDS)
    with_model = _result(runner.invoke(args=["evaluate-analysis", "--test", test]).output)
    words_only = _result(runner.invoke(args=["evaluate-analysis", "--test", test, "--no-model"]).output)
    assert with_model["sentence_model"] == {
        "name": "all-MiniLM-L6-v2",
        "used": True,
        "mode": "embeddings",
        "reason": None,
    }
    assert words_only["sentence_model"]["used"] is False
    assert words_only["sentence_model"]["reason"] == "switched off with --no-model"


def test_an_embedding_cache_file_is_written_and_reused(runner, tmp_path):
    test = _write(tmp_path / "test.jsonl", RECORDS)
    cache = tmp_path / "vectors.npz"
    first = runner.invoke(args=["evaluate-analysis", "--test", test, "--embedding-cache", str(cache)])
    assert first.exit_code == 0, first.output and cache.exists()
    second = runner.invoke(args=["evaluate-analysis", "--test", test, "--embedding-cache", str(cache)])
    assert _result(second.output)["stance_macro_f1"] == _result(first.output)["stance_macro_f1"]


def test_compare_selection_scores_ranked_against_random_codings(runner, tmp_path):
    records = [dict(record, id=f"{record['id']}{copy}") for copy in range(4) for record in RECORDS]
    test = _write(tmp_path / "test.jsonl", records)
    result = runner.invoke(args=["evaluate-analysis", "--test", test, "--compare-selection", "6", "--no-model"])
    assert result.exit_code == 0, result.output
    scores = _result(result.output)
    assert scores["budget"] == 6 and scores["seeds"] == [0, 1, 2, 3, 4]
    assert scores["pool"] == round(len(records) * 2 / 3)
    for way in ("random", "ranked"):
        assert len(scores[way]["stance_macro_f1"]["runs"]) == 5
    too_many = runner.invoke(args=["evaluate-analysis", "--test", test, "--compare-selection", "30"])
    assert too_many.exit_code == 2 and "are the pool to pick 30 from" in too_many.output
