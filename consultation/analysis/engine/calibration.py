"""Turning scores into probabilities and decisions: calibration and the theme threshold.

Probabilities a reviewer sees should mean what they say, so a classifier with enough examples is wrapped in
scikit-learn's :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid, stratified folds). The theme
threshold is the one that gives the best micro-F1 on out-of-fold predictions of the coded responses.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from .constants import CALIBRATION_FOLDS, DEFAULT_THRESHOLD, MIN_ONE_RATIOS, MIN_POSITIVES_TO_CALIBRATE, THRESHOLD_GRID


def fit_calibrated(estimator, X, y, sample_weight=None):
    """``estimator`` fitted on (X, y), calibrated when every class has enough examples for the folds.

    For a ``Pipeline`` only its last step (the classifier) is calibrated: the features are built once, on all
    of X, and coding a response transforms its text once rather than once per calibration fold (three times
    the work on the words-only path). Weights go to the classifier.
    """
    _, counts = np.unique(np.asarray(y), return_counts=True)
    calibrate = len(counts) >= 2 and counts.min() >= MIN_POSITIVES_TO_CALIBRATE
    steps = estimator.steps if hasattr(estimator, "steps") else None
    last = clone(steps[-1][1] if steps else estimator)
    if calibrate:
        folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=0)
        last = CalibratedClassifierCV(last, method="sigmoid", cv=folds)
    weights = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight, dtype=float)}
    if not steps:
        return last.fit(X, y, **weights)
    model = Pipeline([*((name, clone(step)) for name, step in steps[:-1]), (steps[-1][0], last)])
    return model.fit(X, y, **{f"{steps[-1][0]}__{key}": value for key, value in weights.items()})


def apply_threshold(P: np.ndarray, threshold: float, min_one: float) -> np.ndarray:
    """Themes at or above the threshold; a response with none keeps its best if it reaches ``min_one`` of it."""
    chosen = P >= threshold
    if min_one < 1.0 and P.shape[1]:
        best = P.argmax(axis=1)
        empty = ~chosen.any(axis=1)
        keep = empty & (P[np.arange(len(P)), best] >= threshold * min_one)
        chosen[np.where(keep)[0], best[keep]] = True
    return chosen


def choose_threshold(P: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """The (threshold, min_one) pair with the best micro-F1 of ``P`` against the coded ``Y``."""
    best = (-1.0, DEFAULT_THRESHOLD, 1.0)
    for threshold in THRESHOLD_GRID:
        for min_one in MIN_ONE_RATIOS:
            chosen = apply_threshold(P, threshold, min_one)
            score = f1_score(Y, chosen, average="micro", zero_division=0.0)
            if score > best[0] + 1e-9:
                best = (score, float(threshold), min_one)
    return best[1], best[2]


def out_of_fold(
    fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int, folds: int = 3, labels=None
) -> np.ndarray:
    """Predictions for every row from a model that did not see it: ``fit_predict(train_rows, test_rows)``.

    With ``labels`` the folds keep each label's share (every label needs ``folds`` members)."""
    parts = []
    order = []
    if labels is None:
        splits = KFold(n_splits=folds, shuffle=True, random_state=0).split(np.arange(n))
    else:
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(np.zeros(n), labels)
    for train, test in splits:
        parts.append(fit_predict(train, test))
        order.append(test)
    out = np.zeros((n, parts[0].shape[1]))
    for rows, predicted in zip(order, parts, strict=True):
        out[rows] = predicted
    return out
