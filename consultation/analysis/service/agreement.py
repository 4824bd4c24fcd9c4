"""How well the machine agrees with reviewers, measured on the responses reviewers coded, and whether to trust it.

The machine's own latest output (its coding history, not the reviewer-overridden row) is compared with each
reviewer coding. The engine's `quality` functions give every figure a 95% interval (Wilson for proportions, a seeded
bootstrap for F1 and kappa); `reliability` turns each theme's and the stance's interval into a verdict in words.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.engine.quality import stance_agreement, theme_agreement, wilson_interval
from consultation.analysis.models import STANCES, ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service import reliability
from consultation.analysis.service.codebook import find_codebook
from consultation.analysis.service.coding import MACHINE_HISTORY_BATCH, latest_machine_outputs
from consultation.catalog.service import get_consultation
from consultation.intake.models import Response


def _micro(true_positive: int, false_positive: int, false_negative: int) -> tuple[float, float, float]:
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _interval(bounds: tuple[float, float] | None) -> list[float] | None:
    return [round(bounds[0], 4), round(bounds[1], 4)] if bounds is not None else None


def _reviewer_stances(session: Session, consultation_id: int) -> dict[int, str | None]:
    """Response id -> the stance a reviewer gave it, for the consultation's active responses coded by a person."""
    return dict(
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


def _reviewer_codings(session: Session, consultation_id: int) -> tuple[dict[int, str | None], dict[int, set[str]]]:
    stances = _reviewer_stances(session, consultation_id)
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
    truth = [reviewer_stance[response_id] or "none" for response_id in compared]
    predicted = [machine[response_id][0] or "none" for response_id in compared]
    book = find_codebook(session, consultation)
    labels = {theme.key: theme.label for theme in (book.themes if book else [])}
    reviewer = [reviewer_themes[response_id] for response_id in compared]
    machine_themes = [machine[response_id][1] for response_id in compared]
    return {
        "consultation": slug,
        "n": len(compared),
        "reviewer_coded": len(ids),
        "without_machine_coding": len(ids) - len(compared),
        "confidence_level": 0.95,
        "stance": _stance_figures(truth, predicted),
        "themes": _theme_figures(labels, reviewer, machine_themes),
    }


def _stance_figures(truth: list[str], predicted: list[str]) -> dict:
    """Accuracy and kappa of the machine's stances against the reviewers', with the confusion matrix."""
    confusion = {stance: {other: 0 for other in (*STANCES, "none")} for stance in (*STANCES, "none")}
    for a, b in zip(truth, predicted, strict=True):
        confusion[a][b] += 1
    stance = stance_agreement(predicted, truth)
    correct = sum(a == b for a, b in zip(truth, predicted, strict=True))
    return {
        "n": len(truth),
        "accuracy": round(correct / len(truth), 4) if truth else None,
        "accuracy_interval": _interval(wilson_interval(correct, len(truth))),
        "kappa": stance["kappa"],
        "kappa_interval": _interval(stance["kappa_interval"]),
        "confusion": confusion,
        **reliability.stance_verdict(len(truth), stance["kappa_interval"]),
    }


def _theme_figures(labels: dict[str, str], reviewer: list[set[str]], machine: list[set[str]]) -> dict:
    """Per theme of the codebook that either side used, and over them all: the machine's themes against the
    reviewers' (`reviewer[i]` and `machine[i]` are one response's)."""
    keys = sorted(
        set(labels) & ({key for themes in reviewer for key in themes} | {key for themes in machine for key in themes})
    )
    measured = theme_agreement([sorted(themes) for themes in machine], [sorted(themes) for themes in reviewer], keys)
    per_theme = []
    totals = [0, 0, 0]
    for key in keys:
        figures = measured[key]
        true_positive = sum(1 for mine, theirs in zip(machine, reviewer, strict=True) if key in theirs and key in mine)
        totals = [
            totals[0] + true_positive,
            totals[1] + figures["machine_count"] - true_positive,
            totals[2] + figures["reviewer_count"] - true_positive,
        ]
        per_theme.append(
            {
                "key": key,
                "label": labels[key],
                "reviewer_count": figures["reviewer_count"],
                "machine_count": figures["machine_count"],
                "precision": figures["precision"],
                "precision_interval": _interval(figures["precision_interval"]),
                "recall": figures["recall"],
                "recall_interval": _interval(figures["recall_interval"]),
                "f1": figures["f1"],
                "f1_interval": _interval(figures["f1_interval"]),
                **reliability.theme_verdict(figures["reviewer_count"], figures["f1_interval"]),
            }
        )
    micro = _micro(*totals)
    supported = [item["f1"] for item in per_theme if item["reviewer_count"] and item["f1"] is not None]
    return {
        "micro_precision": round(micro[0], 4),
        "micro_recall": round(micro[1], 4),
        "micro_f1": round(micro[2], 4),
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else None,
        "trusted": [item["key"] for item in per_theme if item["verdict"] == "trusted"],
        "per_theme": per_theme,
    }


def stance_agreement_figure(session: Session, slug: str) -> dict:
    """The one agreement figure the coding queue shows as reviewers code: of the responses both a reviewer and the
    machine coded, how many share the stance, the share and its 95% Wilson interval. The same comparison as
    `agreement` (the machine's own latest output against the reviewer's), without its bootstrap intervals and
    per-theme figures, so it is cheap enough for every page of the queue."""
    consultation = get_consultation(session, slug)
    reviewer_stance = _reviewer_stances(session, consultation.id)
    machine = latest_machine_outputs(session, list(reviewer_stance))
    compared = [response_id for response_id in reviewer_stance if response_id in machine]
    agreed = sum((reviewer_stance[r] or "none") == (machine[r][0] or "none") for r in compared)
    return {
        "consultation": slug,
        "n": len(compared),
        "agreed": agreed,
        "accuracy": round(agreed / len(compared), 4) if compared else None,
        "accuracy_interval": _interval(wilson_interval(agreed, len(compared))),
        "confidence_level": 0.95,
    }
