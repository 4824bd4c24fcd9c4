"""Scoring the engine against labelled records (the ``dev_responses.jsonl`` shape), with scikit-learn's metrics.

The command-line entry point is ``python -m consultation.analysis.engine`` (``__main__.py``); the Flask
command ``evaluate-analysis`` calls the same functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from .codebook import CodebookSpec
from .constants import TUNED_PARTS
from .embedding import embed, model_available, model_status
from .finetune import TunedVectors
from .flags import detect_flags
from .stance import STANCES, StanceModel
from .themes import ThemeModel

FLAG_KINDS = ("pii", "abusive")


def proposal_text(codebook: CodebookSpec) -> str:
    """What the consultation proposes, from the codebook's description and its "support" definition."""
    description = codebook.description
    question = re.search(r"\bQuestion:\s*(.+)", description)
    if question:
        description = question.group(1)
    return " ".join([description, codebook.stances.get("support", "")]).strip()


def _flag_scores(records: Sequence[dict], detected: list[dict], kind: str) -> dict:
    truth = [kind in r.get("flags", []) for r in records]
    found = [bool(d[kind]) for d in detected]
    tp = sum(a and b for a, b in zip(truth, found, strict=True))
    flagged, support = sum(found), sum(truth)

    def ratio(a: int, b: int) -> float | None:
        return None if b == 0 else round(a / b, 4)

    precision, recall = ratio(tp, flagged), ratio(tp, support)
    f1 = None if precision is None or recall is None else round(2 * tp / (flagged + support), 4)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support, "flagged": flagged}


def caches_for(encoder, cache, tuned_parts: Sequence[str] = TUNED_PARTS) -> tuple:
    """The embedding caches of the stance and the theme model: tuned vectors for the parts named, when tuned."""
    if encoder is None:
        return cache, cache
    tuned = TunedVectors(encoder, cache)
    return (tuned if "stance" in tuned_parts else cache), (tuned if "themes" in tuned_parts else cache)


def theme_matrix(theme_sets: Sequence[Sequence[str]], keys: Sequence[str]) -> np.ndarray:
    return np.array([[k in set(themes) for k in keys] for themes in theme_sets], dtype=bool).reshape(
        len(theme_sets), len(keys)
    )


def evaluate(
    test_records: Sequence[dict],
    codebook: CodebookSpec,
    train_records: Sequence[dict] | None = None,
    train_codebook: CodebookSpec | None = None,
    use_model: bool | None = None,
    cache=None,
    encoder=None,
    tuned_parts: Sequence[str] = TUNED_PARTS,
) -> dict:
    """Code ``test_records`` (training on ``train_records`` first when given) and score against their labels.

    If ``train_codebook`` differs from ``codebook``, only stance is trained (theme keys would not mean the same
    thing) and themes are coded zero-shot. ``use_model`` False scores the words-only engine. With a tuned
    ``encoder`` (finetune.py), the models named in ``tuned_parts`` ("stance", "themes") read its vectors.
    """
    use_model = model_available() if use_model is None else use_model
    test_records = list(test_records)
    texts = [r.get("text", "") for r in test_records]
    stance_cache, theme_cache = caches_for(encoder, cache, tuned_parts if use_model else ())
    stance_model = StanceModel(proposal=proposal_text(codebook), use_model=use_model, cache=stance_cache)
    theme_model = ThemeModel(codebook, use_model=use_model, cache=theme_cache)
    train_records = list(train_records or [])
    if train_records:
        train_texts = [r.get("text", "") for r in train_records]
        stance_model.fit(train_texts, [r.get("stance", "neutral") for r in train_records])
        if train_codebook is None or train_codebook.same_themes(codebook):
            theme_model.fit(train_texts, [r.get("themes", []) for r in train_records])
    vectors = embed(texts, cache=cache) if use_model and texts else None
    predicted = [label for label, _ in stance_model.predict(texts)]
    truth = [r.get("stance", "neutral") for r in test_records]
    present = [s for s in STANCES if s in set(truth) | set(predicted)]
    per_stance = f1_score(truth, predicted, labels=present, average=None, zero_division=0.0)
    keys = codebook.keys
    Y = theme_matrix([r.get("themes", []) for r in test_records], keys)
    chosen = theme_model.decide(theme_model.predict_scores_matrix(texts, vectors)) if keys else Y & False
    coded = Y.sum(axis=0) > 0
    per_theme = f1_score(Y, chosen, average=None, zero_division=0.0) if keys else []
    detected = [detect_flags(t) for t in texts]
    return {
        "model": model_status()["model"] if use_model else None,
        "n_test": len(test_records),
        "n_train": len(train_records),
        "stance_macro_f1": round(float(np.mean(per_stance)) if present else 0.0, 4),
        "stance_accuracy": round(float(accuracy_score(truth, predicted)) if truth else 0.0, 4),
        "stance_f1": {s: round(float(v), 4) for s, v in zip(present, per_stance, strict=True)},
        "theme_micro_f1": round(float(f1_score(Y, chosen, average="micro", zero_division=0.0)) if keys else 0.0, 4),
        "theme_macro_f1": round(float(np.mean(np.asarray(per_theme)[coded])) if coded.any() else 0.0, 4),
        "per_theme_f1": {k: round(float(per_theme[j]), 4) for j, k in enumerate(keys) if coded[j]},
        "theme_threshold": round(float(theme_model.threshold), 3),
        "flags": {kind: _flag_scores(test_records, detected, kind) for kind in FLAG_KINDS},
    }


def cross_validate(
    records: Sequence[dict],
    codebook: CodebookSpec,
    folds: int = 5,
    seed: int = 0,
    use_model: bool | None = None,
    cache=None,
) -> dict:
    """Stratified (by stance) k-fold cross-validation of :func:`evaluate`: mean and spread of each score."""
    records = list(records)
    stances = [r.get("stance", "neutral") for r in records]
    smallest = min(stances.count(s) for s in set(stances))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # a stance with fewer members than folds cannot be stratified: fall back to plain shuffled folds
    labels = stances if smallest >= folds else [0] * len(records)
    runs = []
    for train, test in splitter.split(np.zeros(len(records)), labels):
        runs.append(
            evaluate(
                [records[i] for i in test],
                codebook,
                [records[i] for i in train],
                use_model=use_model,
                cache=cache,
            )
        )
    out: dict = {"folds": folds, "seed": seed, "n": len(records), "model": runs[0]["model"]}
    for key in ("stance_macro_f1", "stance_accuracy", "theme_micro_f1", "theme_macro_f1"):
        values = np.array([r[key] for r in runs])
        out[key] = {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4)}
    per: dict[str, list[float]] = {}
    for run in runs:
        for key, value in run["per_theme_f1"].items():
            per.setdefault(key, []).append(value)
    out["per_theme_f1"] = {k: round(float(np.mean(v)), 4) for k, v in per.items()}
    return out


def load_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def default_codebook(records: Sequence[dict]) -> CodebookSpec:
    keys = sorted({t for r in records for t in r.get("themes", [])})
    return CodebookSpec.from_dict({"themes": {k: "" for k in keys}})
