"""Measured, not claimed: does tuning the sentence model on the codings beat the frozen model, and both baselines?

:func:`compare_tuning` runs k-fold cross-validation, and on every fold scores, on the same split:

- ``frozen``: the engine as it codes before tuning (frozen MiniLM vectors, words, cues, zero-shot prior);
- ``tuned``: the same engine after tuning the top layers on the fold's training records (finetune.py);
- ``tfidf_lr``: TF-IDF word 1-2 grams and a balanced logistic regression (one per theme);
- ``minilm_lr``: frozen MiniLM sentence vectors and a balanced logistic regression (one per theme).

Each score is given as the mean and the spread (standard deviation) over the folds, with the tuning time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier

from .codebook import CodebookSpec
from .embedding import embed
from .finetune import tune
from .scoring import evaluate, theme_matrix

SCORES = ("stance_macro_f1", "theme_micro_f1", "theme_macro_f1")
METHODS = ("frozen", "tuned", "tfidf_lr", "minilm_lr")


def _logistic():
    return LogisticRegression(class_weight="balanced", max_iter=3000)


def baseline_scores(train: Sequence[dict], test: Sequence[dict], keys: Sequence[str], X_train, X_test) -> dict:
    """Stance macro-F1 and theme micro/macro-F1 of a plain logistic regression on the given features."""
    truth = [r.get("stance", "neutral") for r in test]
    stances = [r.get("stance", "neutral") for r in train]
    if len(set(stances)) > 1:
        predicted = _logistic().fit(X_train, stances).predict(X_test)
    else:
        predicted = [stances[0]] * len(test)
    present = sorted(set(truth) | set(predicted))
    Y_train = theme_matrix([r.get("themes", []) for r in train], keys)
    Y_test = theme_matrix([r.get("themes", []) for r in test], keys)
    chosen = np.zeros_like(Y_test)
    active = np.where(Y_train.any(axis=0) & ~Y_train.all(axis=0))[0]
    if len(active):
        model = OneVsRestClassifier(_logistic()).fit(X_train, Y_train[:, active].astype(int))
        chosen[:, active] = model.predict(X_test).astype(bool).reshape(len(test), len(active))
    coded = Y_test.any(axis=0)
    per_theme = f1_score(Y_test, chosen, average=None, zero_division=0.0)
    return {
        "stance_macro_f1": float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0.0)),
        "theme_micro_f1": float(f1_score(Y_test, chosen, average="micro", zero_division=0.0)),
        "theme_macro_f1": float(np.mean(per_theme[coded])) if coded.any() else 0.0,
    }


def _baselines(train, test, keys, cache) -> dict:
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([r["text"] for r in train])
    out = {
        "tfidf_lr": baseline_scores(
            train, test, keys, words.transform([r["text"] for r in train]), words.transform([r["text"] for r in test])
        )
    }
    vectors = embed([r["text"] for r in train] + [r["text"] for r in test], cache=cache)
    if vectors is not None:
        out["minilm_lr"] = baseline_scores(train, test, keys, vectors[: len(train)], vectors[len(train) :])
    return out


def _folds(records: Sequence[dict], folds: int, seed: int):
    stances = [r.get("stance", "neutral") for r in records]
    smallest = min(stances.count(s) for s in set(stances))
    labels = stances if smallest >= folds else [0] * len(records)
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(records)), labels)


def compare_tuning(
    records: Sequence[dict], codebook: CodebookSpec, folds: int = 5, seed: int = 0, cache=None, progress=None
) -> dict:
    """k-fold scores of the frozen engine, the tuned engine and both baselines, with the tuning time per fold."""
    records = [r for r in records if r.get("text")]
    cache = {} if cache is None else cache
    runs: dict[str, list[dict]] = {method: [] for method in METHODS}
    seconds, steps = [], []
    for number, (train_rows, test_rows) in enumerate(_folds(records, folds, seed), start=1):
        train, test = [records[i] for i in train_rows], [records[i] for i in test_rows]
        runs["frozen"].append(evaluate(test, codebook, train, use_model=True, cache=cache))
        started = time.perf_counter()
        encoder = tune(
            [r["text"] for r in train],
            [r.get("stance") for r in train],
            [r.get("themes", []) for r in train],
            seed=seed,
        )
        seconds.append(time.perf_counter() - started)
        steps.append(0 if encoder is None else encoder.steps)
        runs["tuned"].append(evaluate(test, codebook, train, use_model=True, cache=cache, encoder=encoder))
        for method, scores in _baselines(train, test, codebook.keys, cache).items():
            runs[method].append(scores)
        if progress is not None:
            progress(number, folds)
    out: dict = {
        "folds": folds,
        "seed": seed,
        "n": len(records),
        "n_train_per_fold": len(records) * (folds - 1) // folds,
    }
    for method, scores in runs.items():
        if scores:
            out[method] = {
                key: {
                    "mean": round(float(np.mean([s[key] for s in scores])), 4),
                    "std": round(float(np.std([s[key] for s in scores], ddof=1)), 4),
                }
                for key in SCORES
            }
    out["tuning_seconds_per_fold"] = round(float(np.mean(seconds)), 1)
    out["tuning_steps_per_fold"] = int(np.mean(steps))
    return out
