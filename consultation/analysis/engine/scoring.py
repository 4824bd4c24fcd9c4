"""Evaluation of the engine against labelled records (``dev_responses.jsonl`` shape).

The command-line entry point lives in :mod:`consultation.analysis.engine.evaluate`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .codebook import CodebookSpec
from .flags import detect_flags
from .stance import STANCES, StanceModel
from .themes import ThemeModel

FLAG_KINDS = ("pii", "abusive")


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _flag_prf(tp: int, fp: int, fn: int) -> dict:
    """Precision/recall/F1 with ``None`` where undefined (nothing flagged, or nothing to find)."""
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = (2 * p * r / (p + r) if p + r else 0.0) if p is not None and r is not None else None

    def rnd(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {"precision": rnd(p), "recall": rnd(r), "f1": rnd(f), "support": tp + fn, "flagged": tp + fp}


def _stance_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> tuple[float, float, dict]:
    labels = [s for s in STANCES if s in set(y_true) | set(y_pred)]
    per = {}
    for s in labels:
        tp = sum(1 for a, b in zip(y_true, y_pred, strict=True) if a == s and b == s)
        fp = sum(1 for a, b in zip(y_true, y_pred, strict=True) if a != s and b == s)
        fn = sum(1 for a, b in zip(y_true, y_pred, strict=True) if a == s and b != s)
        per[s] = _prf(tp, fp, fn)[2]
    macro = float(np.mean(list(per.values()))) if per else 0.0
    acc = float(np.mean([a == b for a, b in zip(y_true, y_pred, strict=True)])) if y_true else 0.0
    return macro, acc, per


def proposal_text(codebook: CodebookSpec) -> str:
    """What the consultation proposes, from the codebook's description and its "support" definition."""
    desc = codebook.description
    m = re.search(r"\bQuestion:\s*(.+)", desc)
    if m:
        desc = m.group(1)
    return " ".join([desc, codebook.stances.get("support", "")]).strip()


def evaluate(
    test_records: Sequence[dict],
    codebook: CodebookSpec,
    train_records: Sequence[dict] | None = None,
    train_codebook: CodebookSpec | None = None,
) -> dict:
    """Code ``test_records`` (training on ``train_records`` first when given) and score against their labels.

    If ``train_codebook`` is given and its themes differ from ``codebook``'s, only the stance model is trained
    (theme keys would not mean the same thing) and themes are coded zero-shot.
    """
    test_records = list(test_records)
    texts = [r.get("text", "") for r in test_records]
    sm = StanceModel(proposal=proposal_text(codebook))
    tm = ThemeModel(codebook)
    n_train = 0
    if train_records:
        train_records = list(train_records)
        n_train = len(train_records)
        tr_texts = [r.get("text", "") for r in train_records]
        sm.fit(tr_texts, [r.get("stance", "neutral") for r in train_records])
        if train_codebook is None or train_codebook.same_themes(codebook):
            tm.fit(tr_texts, [r.get("themes", []) for r in train_records])
    # stance
    preds = [p for p, _ in sm.predict(texts)]
    truth = [r.get("stance", "neutral") for r in test_records]
    macro, acc, per_stance = _stance_metrics(truth, preds)
    # themes
    tp_all = fp_all = fn_all = 0
    per_theme: dict[str, float] = {}
    theme_pred = tm.predict(texts)
    for k in codebook.keys:
        tp = sum(
            1 for r, p in zip(test_records, theme_pred, strict=True) if k in r.get("themes", []) and k in p
        )
        fp = sum(
            1
            for r, p in zip(test_records, theme_pred, strict=True)
            if k not in r.get("themes", []) and k in p
        )
        fn = sum(
            1
            for r, p in zip(test_records, theme_pred, strict=True)
            if k in r.get("themes", []) and k not in p
        )
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        if tp + fn > 0:
            per_theme[k] = round(_prf(tp, fp, fn)[2], 4)
    micro = _prf(tp_all, fp_all, fn_all)[2]
    macro_t = float(np.mean(list(per_theme.values()))) if per_theme else 0.0
    # flags
    flags_out = {}
    detected = [detect_flags(t) for t in texts]
    for kind in FLAG_KINDS:
        tp = sum(
            1 for r, d in zip(test_records, detected, strict=True) if d[kind] and kind in r.get("flags", [])
        )
        fp = sum(
            1
            for r, d in zip(test_records, detected, strict=True)
            if d[kind] and kind not in r.get("flags", [])
        )
        fn = sum(
            1
            for r, d in zip(test_records, detected, strict=True)
            if not d[kind] and kind in r.get("flags", [])
        )
        flags_out[kind] = _flag_prf(tp, fp, fn)
    return {
        "n_test": len(test_records),
        "n_train": n_train,
        "stance_macro_f1": round(macro, 4),
        "stance_accuracy": round(acc, 4),
        "stance_f1": {k: round(v, 4) for k, v in per_stance.items()},
        "theme_micro_f1": round(micro, 4),
        "theme_macro_f1": round(macro_t, 4),
        "per_theme_f1": per_theme,
        "theme_threshold": round(float(tm.threshold), 3),
        "flags": flags_out,
    }


def _stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for lab in sorted(set(labels)):
        idx = np.array([i for i, x in enumerate(labels) if x == lab])
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            out[(j + offset) % folds].append(int(i))
        offset += len(idx)
    return [np.array(sorted(f)) for f in out]


def cross_validate(records: Sequence[dict], codebook: CodebookSpec, folds: int = 5, seed: int = 0) -> dict:
    """Stratified (by stance) k-fold CV of :func:`evaluate`; returns mean and std of the scalar metrics."""
    records = list(records)
    parts = _stratified_folds([r.get("stance", "neutral") for r in records], folds, seed)
    runs = []
    for f in range(folds):
        te = set(parts[f].tolist())
        runs.append(
            evaluate(
                [records[i] for i in sorted(te)], codebook, [r for i, r in enumerate(records) if i not in te]
            )
        )
    keys = ["stance_macro_f1", "stance_accuracy", "theme_micro_f1", "theme_macro_f1"]
    out: dict = {"folds": folds, "seed": seed, "n": len(records)}
    for k in keys:
        vals = np.array([r[k] for r in runs])
        out[k] = {
            "mean": round(float(vals.mean()), 4),
            "std": round(float(vals.std(ddof=1)), 4) if folds > 1 else 0.0,
        }
    per: dict[str, list[float]] = {}
    for r in runs:
        for k, v in r["per_theme_f1"].items():
            per.setdefault(k, []).append(v)
    out["per_theme_f1"] = {k: round(float(np.mean(v)), 4) for k, v in per.items()}
    return out


def load_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _default_codebook(records: Sequence[dict]) -> CodebookSpec:
    keys = sorted({t for r in records for t in r.get("themes", [])})
    return CodebookSpec.from_dict({"themes": {k: "" for k in keys}})
