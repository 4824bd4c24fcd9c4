"""How good the machine is, measured on the responses reviewers have coded.

Per theme: precision, recall and F1 of the machine's themes against the reviewers', with 95% intervals
(Wilson for precision and recall, a seeded bootstrap for F1). For stance: Cohen's kappa (scikit-learn's),
with a bootstrap interval. Small samples give wide intervals, which is the point: reviewers see when the
figures are not yet worth trusting.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score

from .constants import BOOTSTRAP_RESAMPLES, CONFIDENCE_Z


def wilson_interval(successes: int, total: int, z: float = CONFIDENCE_Z) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion; None when there is nothing to measure."""
    if total <= 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return round(float(max(0.0, centre - half)), 4), round(float(min(1.0, centre + half)), 4)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def _bootstrap_rows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))


def theme_agreement(
    machine: Sequence[Sequence[str]], reviewer: Sequence[Sequence[str]], keys: Sequence[str], seed: int = 0
) -> dict[str, dict]:
    """Per theme, the machine's precision/recall/F1 against reviewer codings of the same responses."""
    n = len(reviewer)
    out: dict[str, dict] = {}
    rows = _bootstrap_rows(n, seed) if n else None
    for key in keys:
        m = np.array([key in set(x) for x in machine], dtype=bool)
        r = np.array([key in set(x) for x in reviewer], dtype=bool)
        tp, fp, fn = int((m & r).sum()), int((m & ~r).sum()), int((~m & r).sum())
        interval = None
        if n and tp + fp + fn:
            tps, fps, fns = (m & r)[rows].sum(1), (m & ~r)[rows].sum(1), (~m & r)[rows].sum(1)
            low, high = np.percentile(_f1(tps, fps, fns), [2.5, 97.5])
            interval = (round(float(low), 4), round(float(high), 4))
        out[key] = {
            "coded": n,
            "reviewer_count": tp + fn,
            "machine_count": tp + fp,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "precision_interval": wilson_interval(tp, tp + fp),
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "recall_interval": wilson_interval(tp, tp + fn),
            "f1": round(float(_f1(np.array(tp), np.array(fp), np.array(fn))), 4) if tp + fp + fn else None,
            "f1_interval": interval,
        }
    return out


def stance_agreement(machine: Sequence[str], reviewer: Sequence[str], seed: int = 0) -> dict:
    """Cohen's kappa between machine and reviewer stances, with a bootstrap 95% interval."""
    machine, reviewer = np.asarray(machine, dtype=object), np.asarray(reviewer, dtype=object)
    n = len(reviewer)
    if n == 0:
        return {"coded": 0, "agreement": None, "kappa": None, "kappa_interval": None}

    def kappa(a, b) -> float:
        if len(set(a.tolist()) | set(b.tolist())) < 2:
            return 1.0  # one label everywhere, on both sides: they agree completely
        return float(cohen_kappa_score(a, b))

    samples = [kappa(machine[rows], reviewer[rows]) for rows in _bootstrap_rows(n, seed)]
    low, high = np.nanpercentile(samples, [2.5, 97.5])
    return {
        "coded": n,
        "agreement": round(float(np.mean(machine == reviewer)), 4),
        "kappa": round(kappa(machine, reviewer), 4),
        "kappa_interval": (round(float(low), 4), round(float(high), 4)),
    }
