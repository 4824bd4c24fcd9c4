"""Which responses a reviewer should code next: those the machine is unsure about and unlike those coded.

A coding teaches the models most where they hesitate (stance probabilities close together, theme scores near
the threshold), where the response stands for many others, and where nothing similar has been coded yet. The
ranking is greedy, so a batch of twenty is not twenty copies of one uncertain template letter: each pick makes
the responses like it less novel.
"""

from __future__ import annotations

import numpy as np

from .constants import DENSITY_NEIGHBOURS, DENSITY_SAMPLE


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


def representativeness(vectors: np.ndarray) -> np.ndarray:
    """0..1 per candidate: mean similarity to its nearest fellow candidates, rescaled over the pool.

    A response in a crowd stands for many others and its coding teaches about all of them; an outlier teaches
    about itself alone. This is the "information density" of Settles and Craven (2008). Past
    :data:`DENSITY_SAMPLE` candidates the crowd is measured against a fixed random sample of them.
    """
    count = len(vectors)
    if count <= DENSITY_NEIGHBOURS:  # too few to tell a crowd from an outlier: all count the same
        return np.ones(count)
    sample = np.arange(count)
    if count > DENSITY_SAMPLE:
        sample = np.sort(np.random.default_rng(0).choice(count, DENSITY_SAMPLE, replace=False))
    similarity = vectors @ vectors[sample].T
    similarity[sample, np.arange(len(sample))] = -np.inf  # a candidate is not its own neighbour
    k = min(DENSITY_NEIGHBOURS, len(sample) - 1)
    nearest = np.sort(similarity, axis=1)[:, -k:].mean(axis=1)
    span = float(np.ptp(nearest))
    return (nearest - nearest.min()) / span if span > 1e-9 else np.ones(count)


def usefulness(uncertainty: np.ndarray, representative: np.ndarray, novelty: np.ndarray) -> np.ndarray:
    """Uncertain and typical in equal parts, times how unlike anything coded or picked it is (all 0..1)."""
    return (np.asarray(uncertainty) + np.asarray(representative)) / 2 * np.asarray(novelty)


def rank_for_coding(
    uncertainty: np.ndarray,
    vectors: np.ndarray | None = None,
    coded_vectors: np.ndarray | None = None,
    n: int = 20,
    representative: np.ndarray | None = None,
) -> list[int]:
    """Row indices of the ``n`` most useful responses to code next, most useful first.

    ``uncertainty`` (0..1 per candidate) comes from :func:`stance_uncertainty` / :func:`theme_uncertainty`;
    ``vectors`` are unit-length rows (sentence vectors, or TF-IDF rows without the model) of the candidates
    and ``coded_vectors`` those of the responses already coded. See :func:`usefulness`; novelty is one minus
    the closest similarity to anything coded or already picked, so a batch is not twenty copies of one
    doubtful letter. ``representative`` is :func:`representativeness` of the vectors, when the caller has it.
    """
    uncertainty = np.asarray(uncertainty, dtype=float)
    count = len(uncertainty)
    n = max(0, min(n, count))
    if vectors is None:
        return [int(i) for i in np.argsort(-uncertainty, kind="stable")[:n]]
    if representative is None:
        representative = representativeness(vectors)
    closest = np.zeros(count)
    if coded_vectors is not None and len(coded_vectors):
        closest = np.clip((vectors @ coded_vectors.T).max(axis=1), 0.0, 1.0)
    chosen: list[int] = []
    available = np.ones(count, dtype=bool)
    for _ in range(n):
        score = usefulness(uncertainty, representative, 1.0 - closest)
        score[~available] = -np.inf
        pick = int(np.argmax(score))
        chosen.append(pick)
        available[pick] = False
        closest = np.maximum(closest, np.clip(vectors @ vectors[pick], 0.0, 1.0))
    return chosen
