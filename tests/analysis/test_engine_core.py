"""Synthetic (always-run) tests of the analysis engine: stance, flags, campaigns, themes, discovery, scoring."""

import ast
import random
from pathlib import Path

import numpy as np
import pytest

from consultation.analysis.engine import CodebookSpec as Codebook
from consultation.analysis.engine import (
    StanceModel,
    ThemeModel,
    cross_validate,
    detect_flags,
    discover_themes,
    evaluate,
    find_campaigns,
    redact,
)
from consultation.analysis.engine import ThemeSpec as Theme
from consultation.analysis.engine.stance import STANCES, best_share

ENGINE_DIR = Path(__file__).resolve().parents[2] / "consultation" / "analysis" / "engine"
PROPOSAL = "The council proposes to close the town library."


# ---------------------------------------------------------------- stance
@pytest.mark.parametrize(
    "text",
    [
        "I do not support closing it.",
        "Keep it as it is!",
        "Save our library.",
        "Don't close it.",
        "Please do not close the library.",
        "This closure is a nonsense and will make things worse.",
        "I strongly object to this proposal.",
        "It's a terrible idea and a false economy.",
        "I am against the plan.",
        "No, this would be a huge mistake.",
        "Leave it alone.",
        "This should not be closed.",
    ],
)
def test_objections_are_read_as_oppose_without_training(text):
    assert StanceModel(proposal=PROPOSAL).predict([text])[0][0] == "oppose"


@pytest.mark.parametrize(
    "text",
    [
        "Sensible decision.",
        "I agree with the plan.",
        "Makes sense to close it.",
        "Close it.",
        "I support the proposal.",
        "Fine by me.",
        "I'm not against this at all.",
        "Yes, close it.",
        "About time. Go ahead.",
        "It should have been closed years ago.",
    ],
)
def test_agreement_is_read_as_support_without_training(text):
    assert StanceModel(proposal=PROPOSAL).predict([text])[0][0] == "support"


@pytest.mark.parametrize(
    "text",
    [
        "Not sure about this one.",
        "No comment.",
        "What will the opening hours be?",
        "I can see both sides.",
        "I support keeping it open. I also support the plan.",  # mixed views
        "",
    ],
)
def test_questions_doubts_and_mixed_views_are_read_as_neutral(text):
    assert StanceModel(proposal=PROPOSAL).predict([text])[0][0] == "neutral"


def test_stance_confidence_is_the_winning_probability_and_grows_with_the_evidence():
    model = StanceModel(proposal=PROPOSAL)
    texts = ["I strongly object to this proposal. Please do not close it.", "I object.", "Hmm"]
    out = model.predict(texts)
    proba = model.predict_proba(texts)
    assert [label for label, _ in out] == ["oppose", "oppose", "neutral"]
    for (_, confidence), row in zip(out, proba, strict=True):
        assert confidence == pytest.approx(row.max(), abs=1e-4)
        assert row.sum() == pytest.approx(1.0)
    assert out[0][1] > out[1][1] > 1 / 3


def test_the_proposals_own_verb_tells_the_cues_what_to_oppose():
    # the verb comes from the consultation's text, so no consultation's subject is built in
    pier = StanceModel(proposal="The council proposes to demolish the old pier.")
    assert pier.predict(["Please do not demolish it."])[0][0] == "oppose"
    assert pier.predict(["Demolish it."])[0][0] == "support"
    assert StanceModel().predict(["Please do not demolish it."])[0][0] != "oppose"


def test_praise_of_the_proposals_object_counts_against_the_proposal():
    model = StanceModel(proposal="The council proposes to demolish the old pier.")
    assert model.predict(["The pier is wonderful and valuable."])[0][0] == "oppose"
    assert model.predict(["The pier is dangerous, useless and awful."])[0][0] == "support"


STANCE_WORDS = {"oppose": ["zorp", "blint"], "support": ["quax", "frell"], "neutral": ["mip", "dorn"]}


def _known_word(rnd, label):
    return rnd.choice(STANCE_WORDS[label])


def _stem_with_fresh_ending(rnd, label):
    """A made-up stem with a new ending every time ("zorpiku", "zorpade"): unseen as a whole word at test
    time, recognisable only from its letters."""
    return STANCE_WORDS[label][0] + "".join(rnd.choice("aeiouklmnt") for _ in range(4))


def _synthetic_stance(n, seed, sign=_known_word):
    rnd = random.Random(seed)
    # the learnt signal here is deliberately made of words the zero-shot cues do not know
    filler = "the a local area people town we it services week".split()
    texts, labels = [], []
    for _ in range(n):
        lab = rnd.choice(list(STANCE_WORDS))
        toks = rnd.sample(filler, 5) + [sign(rnd, lab)]
        rnd.shuffle(toks)
        texts.append(" ".join(toks))
        labels.append(lab)
    return texts, labels


def test_training_teaches_stance_words_the_cues_do_not_know():
    tr_x, tr_y = _synthetic_stance(300, 0)
    te_x, te_y = _synthetic_stance(100, 1)
    acc0 = sum(p == y for (p, _), y in zip(StanceModel().predict(te_x), te_y, strict=True)) / len(te_y)
    m = StanceModel().fit(tr_x, tr_y, weights=[1.0] * len(tr_y))
    acc1 = sum(p == y for (p, _), y in zip(m.predict(te_x), te_y, strict=True)) / len(te_y)
    assert acc1 > acc0 + 0.3
    assert acc1 > 0.9


# ---------------------------------------------------------------- flags
@pytest.mark.parametrize(
    "text,kind",
    [
        ("Email me at jane.doe@example.com please", "email"),
        ("Ring me on 07700 900123.", "phone"),
        ("My number is 07700900123", "phone"),
        ("Call 020 7946 0018 any time", "phone"),
        ("Call +44 7700 900123", "phone"),
        ("I live near RM10 8XX", "postcode"),
        ("Postcode SW1A 1AA", "postcode"),
        ("My name is John Smith and I live here", "name"),
        ("Write to me at 23 Kingston Road, please", "address"),
        ("Regards, Jane Smith", "name"),
    ],
)
def test_personal_data_is_found(text, kind):
    f = detect_flags(text)
    assert f["pii"]
    assert kind in {k for _, _, k in f["pii_spans"]}


@pytest.mark.parametrize(
    "text",
    [
        "The station has been there since 1998 and serves 400,000 people.",
        "Ring 101 if you need the police.",
        "The budget gap is £400m over two years.",
        "I think the Council should reconsider.",
        "Sadly this is a bad idea.",
    ],
)
def test_ordinary_sentences_are_not_personal_data(text):
    assert not detect_flags(text)["pii"]


def test_redaction_replaces_personal_data_and_abuse_with_markers():
    text = "My name is John Smith, call 07700 900123 or email j.smith@example.com, RM10 8XX."
    out = redact(text)
    for token in ("[name]", "[phone]", "[email]", "[postcode]"):
        assert token in out
    assert "07700" not in out and "example.com" not in out and "Smith" not in out
    assert redact("You bunch of idiots.").count("[removed]") >= 1
    assert redact("Nothing to hide here.") == "Nothing to hide here."


@pytest.mark.parametrize(
    "text",
    [
        "Whoever came up with this is a complete moron.",
        "You spineless idiots.",
        "What a load of sh*t.",
        "Get your arses down here.",
        "f*** this plan",
    ],
)
def test_abuse_is_flagged(text):
    f = detect_flags(text)
    assert f["abusive"] and f["abusive_spans"]


@pytest.mark.parametrize(
    "text",
    [
        "I am deeply disappointed with this plan.",
        "Scunthorpe is far away.",
        "This is a classic mistake.",
        "Assess the impact first.",
    ],
)
def test_words_that_merely_contain_rude_letters_are_not_flagged(text):
    assert not detect_flags(text)["abusive"]


# ---------------------------------------------------------------- campaigns
def test_campaigns_group_exact_and_near_duplicate_letters():
    base = (
        "I strongly object to the proposal to close our local library. It is a lifeline for older "
        "residents and children and must stay open for everyone in the area."
    )
    items = [
        (1, base),
        (2, base.upper()),
        (3, "  " + base.replace(".", " .")),
        (4, base.replace("strongly", "really")),
        (5, base + " Thank you."),
        (10, "Parking on the high street is impossible on Saturdays and the buses are always late."),
        (11, "The council should spend the money on fixing potholes rather than new offices."),
        (12, "I support this, the building is expensive to run and hardly anyone uses it these days."),
    ]
    groups = find_campaigns(items)
    assert len(groups) == 1
    g = groups[0]
    assert sorted(g["member_ids"]) == [1, 2, 3, 4, 5]
    assert g["size"] == 5 and isinstance(g["key"], str) and g["sample_text"]
    # stable key
    assert find_campaigns(list(reversed(items)))[0]["key"] == g["key"]
    # exact-only mode and min_size
    exact = find_campaigns(items, threshold=1.0)
    assert sorted(exact[0]["member_ids"]) == [1, 2, 3]
    assert find_campaigns(items, min_size=6) == []
    assert find_campaigns([(1, ""), (2, "  "), (3, "!!")]) == []


def test_a_large_campaign_among_random_texts_is_found_whole():
    rnd = random.Random(0)
    vocab = [f"w{i}" for i in range(2000)]
    items = [(i, " ".join(rnd.choice(vocab) for _ in range(30))) for i in range(3000)]
    template = " ".join(vocab[:30])
    items += [(10_000 + i, template + f" signed {i}") for i in range(200)]
    groups = find_campaigns(items)
    assert len(groups) == 1 and groups[0]["size"] == 200


# ---------------------------------------------------------------- codebook and themes
CODEBOOK = {
    "description": "Proposal to close the town library.",
    "stances": {"oppose": "Against", "support": "For", "neutral": "Neither"},
    "themes": {
        "travel": "Travel: distance, buses and journey time to the next library.",
        "money": "Money: budget cuts, savings and running costs.",
        "children": "Children: homework clubs, schools and young people.",
        "online": "Online: e-books, internet and digital services instead.",
    },
}
SYN = {
    "travel": [
        "the next one is two buses away",
        "it takes an hour to get there",
        "too far to walk",
        "the journey is long",
        "no bus route",
    ],
    "money": [
        "the council must save money",
        "budget cuts are hitting us",
        "costs too much to run",
        "the savings are small",
        "the cost is high",
    ],
    "children": [
        "kids do homework there",
        "my son uses it after school",
        "young people need it",
        "the school relies on it",
        "children love story time",
    ],
    "online": [
        "I read e-books now",
        "everything is on the internet",
        "digital services are fine",
        "I use the website",
        "the online catalogue works",
    ],
}


def _synthetic_themes(n, seed):
    rnd = random.Random(seed)
    texts, sets = [], []
    keys = list(SYN)
    for _ in range(n):
        ks = rnd.sample(keys, rnd.choice([1, 1, 2]))
        texts.append(". ".join(rnd.choice(SYN[k]) for k in ks) + ".")
        sets.append(ks)
    return texts, sets


def _micro_f1(preds, sets):
    tp = sum(len(set(p) & set(s)) for p, s in zip(preds, sets, strict=True))
    fp = sum(len(set(p) - set(s)) for p, s in zip(preds, sets, strict=True))
    fn = sum(len(set(s) - set(p)) for p, s in zip(preds, sets, strict=True))
    return 2 * tp / max(1, 2 * tp + fp + fn)


def test_a_codebook_round_trips_and_derives_labels_from_keys():
    cb = Codebook.from_dict(CODEBOOK)
    assert cb.keys == ["travel", "money", "children", "online"]
    assert cb.theme("travel").label == "Travel"
    assert cb.theme("travel").description.startswith("distance")
    cb2 = Codebook.from_dict({"themes": {"travel_distance": "How far people must go."}})
    assert cb2.themes[0].label == "Travel distance"
    again = Codebook.from_dict(cb.to_dict())
    assert again.same_themes(cb)
    t = Theme("k", "K", "desc", ["an example"])
    assert Codebook([t]).to_dict()["themes"]["k"]["examples"] == ["an example"]


def test_zero_shot_themes_beat_random_guessing():
    texts, sets = _synthetic_themes(120, 3)
    tm = ThemeModel(Codebook.from_dict(CODEBOOK))
    f1 = _micro_f1([list(p) for p in tm.predict(texts)], sets)
    rnd = random.Random(0)
    rand = _micro_f1([rnd.sample(list(SYN), 1) for _ in texts], sets)
    assert f1 > rand + 0.15
    scores = tm.predict_scores(texts[:3])
    assert set(scores[0]) == set(SYN) and all(0 <= v <= 1 for v in scores[0].values())
    assert 0 < tm.threshold < 1


NONSENSE = {k: [f"{k[:3]}zq{c} blorf{c}" for c in "abcde"] for k in SYN}


def test_training_teaches_themes_words_the_codebook_does_not_know():
    # invented words the codebook descriptions cannot know: only fitting can help
    cb = Codebook.from_dict({"themes": {k: f"{k.upper()}: theme number {i}" for i, k in enumerate(SYN)}})
    rnd = random.Random(1)

    def make(n):
        xs, ss = [], []
        for _ in range(n):
            ks = rnd.sample(list(SYN), rnd.choice([1, 2]))
            xs.append(" and ".join(rnd.choice(NONSENSE[k]) for k in ks))
            ss.append(ks)
        return xs, ss

    tr_x, tr_s = make(200)
    te_x, te_s = make(100)
    tm = ThemeModel(cb)
    f0 = _micro_f1([list(p) for p in tm.predict(te_x)], te_s)
    tm.fit(tr_x, tr_s)
    f1 = _micro_f1([list(p) for p in tm.predict(te_x)], te_s)
    assert f1 > f0 + 0.3 and f1 > 0.8


def test_four_coded_examples_still_give_sensible_themes():
    cb = Codebook.from_dict(CODEBOOK)
    tm = ThemeModel(cb).fit(
        ["two buses away", "budget cuts", "budget cuts again", "kids homework"],
        [["travel"], ["money"], ["money"], ["children"]],
    )
    out = tm.predict(["the journey needs two buses", "the budget cuts go too deep", "kids need homework help"])
    assert [next(iter(themes), None) for themes in out] == ["travel", "money", "children"]
    assert all(0.0 <= score <= 1.0 for themes in out for score in themes.values())


def test_discovery_finds_the_subjects_the_codebook_does_not_cover():
    rnd = random.Random(0)
    texts = (
        [f"Dog mess all over the pavements again {rnd.randint(1, 9)} dog fouling" for _ in range(15)]
        + [f"Noise from the late night bars keeps us awake {rnd.randint(1, 9)} noise" for _ in range(15)]
        + SYN["travel"] * 2
    )
    ids = [f"r{i}" for i in range(len(texts))]
    out = discover_themes(texts, ids, codebook=Codebook.from_dict(CODEBOOK), max_clusters=4)
    assert out
    for c in out:
        assert {
            "top_terms",
            "size",
            "example_ids",
            "example_texts",
            "suggested_key",
            "suggested_label",
        } <= set(c)
    terms = " ".join(t for c in out for t in c["top_terms"])
    assert "dog" in terms or "noise" in terms


# ---------------------------------------------------------------- evaluate
def _records(n, seed):
    texts, sets = _synthetic_themes(n, seed)
    rnd = random.Random(seed)
    stances = ["Keep it open.", "Close it.", "Not sure."]
    labels = ["oppose", "support", "neutral"]
    recs = []
    for i, (t, s) in enumerate(zip(texts, sets, strict=True)):
        j = rnd.randrange(3)
        recs.append(
            {
                "id": f"x{i}",
                "text": f"{stances[j]} {t}" + (" Call 07700 900123." if i % 10 == 0 else ""),
                "stance": labels[j],
                "themes": s,
                "flags": ["pii"] if i % 10 == 0 else [],
            }
        )
    return recs


def test_evaluate_scores_stance_themes_and_flags_of_a_trained_engine():
    cb = Codebook.from_dict(CODEBOOK)
    res = evaluate(_records(40, 1), cb, train_records=_records(60, 2))
    for k in (
        "n_test",
        "n_train",
        "stance_macro_f1",
        "stance_accuracy",
        "theme_micro_f1",
        "theme_macro_f1",
        "per_theme_f1",
        "flags",
    ):
        assert k in res
    assert res["n_test"] == 40 and res["n_train"] == 60
    assert set(res["flags"]) == {"pii", "abusive"}
    assert {"precision", "recall", "f1", "support"} <= set(res["flags"]["pii"])
    assert res["flags"]["pii"]["recall"] == 1.0
    assert res["stance_macro_f1"] > 0.8
    cv = cross_validate(_records(60, 3), cb, folds=3)
    assert set(cv["stance_macro_f1"]) == {"mean", "std"}


def test_the_command_line_prints_one_json_object(tmp_path, capsys):
    import json

    from consultation.analysis.engine.__main__ import main

    f = tmp_path / "t.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in _records(20, 5)))
    cbf = tmp_path / "cb.json"
    cbf.write_text(json.dumps(CODEBOOK))
    assert main(["--test", str(f), "--codebook", str(cbf)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_test"] == 20
    # the command line lives in __main__, so no submodule shadows the package's evaluate()
    from consultation.analysis import engine

    assert engine.evaluate(_records(5, 6), Codebook.from_dict(CODEBOOK))["n_test"] == 5
    assert not (ENGINE_DIR / "evaluate.py").exists()


# ---------------------------------------------------------------- hygiene
FORBIDDEN_CUES = {"police", "station", "officer", "counter", "crime", "met", "mopac", "borough"}


def test_the_engine_imports_nothing_from_the_app():
    for py in ENGINE_DIR.glob("*.py"):
        tree = ast.parse(py.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root not in {"flask", "flask_sqlalchemy", "sqlalchemy", "consultation"}, (
                    py.name,
                    name,
                )


def test_stance_cues_name_no_subject_of_our_demo():
    import re

    from consultation.analysis.engine import stance_cues

    words = set()
    for pattern, _, _ in stance_cues.CUES:
        words |= set(re.findall(r"[a-z]+", pattern))
    words |= set(re.findall(r"[a-z]+", " ".join(stance_cues.GENERIC_ACTIONS) + stance_cues.PROPOSAL_NOUNS))
    words |= stance_cues.POSITIVE_WORDS | stance_cues.NEGATIVE_WORDS
    assert not (words & FORBIDDEN_CUES)


def test_the_surface_reader_gets_a_share_when_the_codings_show_it_helps():
    train_x, train_y = _synthetic_stance(120, 0, _stem_with_fresh_ending)
    test_x, test_y = _synthetic_stance(90, 1, _stem_with_fresh_ending)

    def accuracy(model):
        return sum(p == y for (p, _), y in zip(model.predict(test_x), test_y, strict=True)) / len(test_y)

    plain = StanceModel(use_model=False, surface=False).fit(train_x, train_y)
    mixed = StanceModel(use_model=False, surface=True).fit(train_x, train_y)
    assert plain.surface_share == 0.0
    assert mixed.surface_share > 0.0
    assert accuracy(mixed) > accuracy(plain) + 0.2


def test_the_surface_share_is_chosen_from_out_of_fold_predictions():
    y = np.array(["oppose", "support", "neutral"] * 10)
    right = np.eye(3)[[STANCES.index(s) for s in y]]
    wrong = np.roll(right, 1, axis=1)
    assert best_share(y, main=right, surface=wrong) == 0.0
    assert best_share(y, main=wrong, surface=right) == 0.75
    # a tie keeps the smaller share: a reader that adds nothing gets none
    assert best_share(y, main=right, surface=right) == 0.0


def test_too_few_codings_of_a_stance_leave_the_surface_reader_out():
    texts, labels = _synthetic_stance(40, 2, _stem_with_fresh_ending)
    labels[:] = ["oppose"] * 38 + ["support", "neutral"]
    model = StanceModel(use_model=False, surface=True).fit(texts, labels)
    assert model.surface_share == 0.0
    assert model._surface is None


def test_the_surface_reader_is_fitted_by_default_only_beside_the_sentence_model():
    assert StanceModel(use_model=False).surface is False
    assert StanceModel(use_model=True).surface is True
    assert StanceModel(use_model=True, surface=False).surface is False


def test_texts_too_short_for_the_surface_reader_are_coded_without_it():
    # Every stance coded three times, but no text holds a word or letter pattern the reader's vectorizers keep:
    # they refuse ("empty vocabulary"), and the stance model is fitted without the reader instead of failing.
    texts = ["x", "y", "👍", "x", "y", "👍", "x", "y", "👍"]
    stances = ["support", "oppose", "neutral"] * 3
    model = StanceModel(proposal=PROPOSAL, use_model=False, surface=True).fit(texts, stances)
    assert model.surface_share == 0.0
    assert len(model.predict(["x"])) == 1
