"""How well the machine agrees with reviewers, measured on the responses reviewers coded, and whether to trust it.

The machine's own latest output (its coding history, not the reviewer-overridden row) is compared with each
reviewer coding. Every figure comes with a 95% interval and each theme and the stance with a verdict in words
(`reliability`), because a theme coded five times does not show what a theme coded five hundred times does.
"""

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.models import STANCES, ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service import reliability
from consultation.analysis.service.codebook import find_codebook
from consultation.analysis.service.coding import MACHINE_HISTORY_BATCH, latest_machine_outputs
from consultation.catalog.service import get_consultation
from consultation.intake.models import Response


def _prf(true_positive: int, false_positive: int, false_negative: int) -> tuple[float, float, float]:
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _interval(bounds: tuple[float, float] | None) -> list[float] | None:
    return [round(bounds[0], 4), round(bounds[1], 4)] if bounds is not None else None


def _reviewer_codings(session: Session, consultation_id: int) -> tuple[dict[int, str | None], dict[int, set[str]]]:
    stances = dict(
        session.execute(
            select(ResponseAnalysis.response_id, ResponseAnalysis.stance)
            .join(Response, Response.id == ResponseAnalysis.response_id)
            .where(
                ResponseAnalysis.consultation_id == consultation_id,
                ResponseAnalysis.coded_by_user_id.is_not(None),
                Response.status == "active",
            )
        ).all()
    )
    ids = list(stances)
    themes: dict[int, set[str]] = {response_id: set() for response_id in ids}
    for start in range(0, len(ids), MACHINE_HISTORY_BATCH):
        chunk = ids[start : start + MACHINE_HISTORY_BATCH]
        for response_id, key in session.execute(
            select(ThemeAssignment.response_id, Theme.key)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(ThemeAssignment.response_id.in_(chunk), ThemeAssignment.source == "reviewer")
        ):
            themes[response_id].add(key)
    return stances, themes


def agreement(session: Session, slug: str) -> dict:
    """Stance (accuracy, kappa) and per-theme precision, recall and F1, each with an interval and a verdict."""
    consultation = get_consultation(session, slug)
    reviewer_stance, reviewer_themes = _reviewer_codings(session, consultation.id)
    ids = list(reviewer_stance)
    machine = {
        response_id: (stance, set(themes))
        for response_id, (stance, themes) in latest_machine_outputs(session, ids).items()
    }
    compared = [response_id for response_id in ids if response_id in machine]
    weights = reliability.bootstrap_weights(len(compared))
    truth = [reviewer_stance[response_id] or "none" for response_id in compared]
    predicted = [machine[response_id][0] or "none" for response_id in compared]
    confusion = {stance: {other: 0 for other in (*STANCES, "none")} for stance in (*STANCES, "none")}
    for a, b in zip(truth, predicted, strict=True):
        confusion[a][b] += 1
    kappa = reliability.cohen_kappa(truth, predicted)
    kappa_bounds = reliability.kappa_interval(truth, predicted, weights)
    correct = sum(a == b for a, b in zip(truth, predicted, strict=True))
    book = find_codebook(session, consultation)
    labels = {theme.key: theme.label for theme in (book.themes if book else [])}
    keys = sorted(
        set(labels) & ({k for r in compared for k in reviewer_themes[r]} | {k for r in compared for k in machine[r][1]})
    )
    per_theme = []
    totals = [0, 0, 0]
    for key in keys:
        said_by_reviewer = np.array([key in reviewer_themes[r] for r in compared], dtype=np.float32)
        said_by_machine = np.array([key in machine[r][1] for r in compared], dtype=np.float32)
        both = said_by_reviewer * said_by_machine
        machine_only = said_by_machine - both
        reviewer_only = said_by_reviewer - both
        tp, fp, fn = int(both.sum()), int(machine_only.sum()), int(reviewer_only.sum())
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        precision, recall, f1 = _prf(tp, fp, fn)
        f1_bounds = reliability.f1_interval(both, machine_only, reviewer_only, weights)
        per_theme.append(
            {
                "key": key,
                "label": labels[key],
                "reviewer_count": tp + fn,
                "machine_count": tp + fp,
                "precision": round(precision, 4),
                "precision_interval": _interval(reliability.wilson_interval(tp, tp + fp)),
                "recall": round(recall, 4),
                "recall_interval": _interval(reliability.wilson_interval(tp, tp + fn)),
                "f1": round(f1, 4),
                "f1_interval": _interval(f1_bounds),
                **reliability.theme_verdict(tp + fn, f1_bounds),
            }
        )
    micro = _prf(*totals)
    supported = [item["f1"] for item in per_theme if item["reviewer_count"]]
    return {
        "consultation": slug,
        "n": len(compared),
        "reviewer_coded": len(ids),
        "without_machine_coding": len(ids) - len(compared),
        "confidence_level": 0.95,
        "stance": {
            "n": len(compared),
            "accuracy": round(correct / len(compared), 4) if compared else None,
            "accuracy_interval": _interval(reliability.wilson_interval(correct, len(compared))),
            "kappa": round(kappa, 4) if kappa is not None else None,
            "kappa_interval": _interval(kappa_bounds),
            "confusion": confusion,
            **reliability.stance_verdict(len(compared), kappa_bounds),
        },
        "themes": {
            "micro_precision": round(micro[0], 4),
            "micro_recall": round(micro[1], 4),
            "micro_f1": round(micro[2], 4),
            "macro_f1": round(sum(supported) / len(supported), 4) if supported else None,
            "trusted": [item["key"] for item in per_theme if item["verdict"] == "trusted"],
            "per_theme": per_theme,
        },
    }
