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

from .constants import CALIBRATION_FOLDS, DEFAULT_THRESHOLD, MIN_ONE_RATIOS, MIN_POSITIVES_TO_CALIBRATE, THRESHOLD_GRID


def fit_calibrated(estimator, X, y, sample_weight=None):
    """``estimator`` fitted on (X, y), calibrated when every class has enough examples for the folds.

    Weights go to the pipeline's last step (a ``Pipeline`` takes them as ``<step>__sample_weight``).
    """
    _, counts = np.unique(np.asarray(y), return_counts=True)
    fit_args = {}
    if sample_weight is not None:
        step = estimator.steps[-1][0] if hasattr(estimator, "steps") else None
        fit_args = {f"{step}__sample_weight" if step else "sample_weight": np.asarray(sample_weight, dtype=float)}
    if len(counts) >= 2 and counts.min() >= MIN_POSITIVES_TO_CALIBRATE:
        folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=0)
        model = CalibratedClassifierCV(clone(estimator), method="sigmoid", cv=folds)
        return model.fit(X, y, **fit_args)
    return clone(estimator).fit(X, y, **fit_args)


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


def out_of_fold(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int, folds: int = 3) -> np.ndarray:
    """Predictions for every row from a model that did not see it: ``fit_predict(train_rows, test_rows)``."""
    parts = []
    order = []
    for train, test in KFold(n_splits=folds, shuffle=True, random_state=0).split(np.arange(n)):
        parts.append(fit_predict(train, test))
        order.append(test)
    out = np.zeros((n, parts[0].shape[1]))
    for rows, predicted in zip(order, parts, strict=True):
        out[rows] = predicted
    return out
