"""Which responses a reviewer should code next: those the machine is unsure about and unlike those coded.

A coding teaches the models most where they hesitate (stance probabilities close together, theme scores near
the threshold) and where nothing similar has been coded yet. The ranking is greedy, so a batch of twenty is
not twenty copies of one uncertain template letter: each pick makes the responses like it less novel.
"""

from __future__ import annotations

import numpy as np

from .constants import NOVELTY_SHARE


def stance_uncertainty(proba: np.ndarray) -> np.ndarray:
    """1 - (best - second best): 1 when two stances tie, 0 when one is certain."""
    if proba.size == 0:
        return np.zeros(len(proba))
    ordered = np.sort(proba, axis=1)
    return 1.0 - (ordered[:, -1] - ordered[:, -2])


def theme_uncertainty(scores: np.ndarray, threshold: float) -> np.ndarray:
    """How close the response's most doubtful theme is to the threshold (1 on it, 0 far away)."""
    if scores.size == 0:
        return np.zeros(len(scores))
    distance = np.abs(scores - threshold) / max(threshold, 1.0 - threshold)
    return 1.0 - distance.min(axis=1)


def rank_for_coding(
    uncertainty: np.ndarray,
    vectors: np.ndarray | None = None,
    coded_vectors: np.ndarray | None = None,
    n: int = 20,
    novelty_share: float = NOVELTY_SHARE,
) -> list[int]:
    """Row indices of the ``n`` most useful responses to code next, most useful first.

    ``uncertainty`` (0..1 per candidate) comes from :func:`stance_uncertainty` / :func:`theme_uncertainty`;
    ``vectors`` are unit-length rows (sentence vectors, or TF-IDF rows without the model) of the candidates
    and ``coded_vectors`` those of the responses already coded. Usefulness mixes uncertainty with novelty, one
    minus the closest similarity to anything coded or already picked.
    """
    uncertainty = np.asarray(uncertainty, dtype=float)
    count = len(uncertainty)
    n = max(0, min(n, count))
    if vectors is None:
        return [int(i) for i in np.argsort(-uncertainty, kind="stable")[:n]]
    closest = np.zeros(count)
    if coded_vectors is not None and len(coded_vectors):
        closest = np.clip((vectors @ coded_vectors.T).max(axis=1), 0.0, 1.0)
    chosen: list[int] = []
    available = np.ones(count, dtype=bool)
    for _ in range(n):
        usefulness = (1.0 - novelty_share) * uncertainty + novelty_share * (1.0 - closest)
        usefulness[~available] = -np.inf
        pick = int(np.argmax(usefulness))
        chosen.append(pick)
        available[pick] = False
        closest = np.maximum(closest, np.clip(vectors @ vectors[pick], 0.0, 1.0))
    return chosen
