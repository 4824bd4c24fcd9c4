"""How sure the coded sample lets us be: intervals for precision, recall, F1 and kappa, and a verdict in words.

Reviewers code a sample; the machine's scores on it are estimates, and a theme coded five times says little.
Precision and recall are proportions, so they get Wilson intervals (sound at small counts, never outside 0..1).
F1 and kappa are not proportions of one count, so they get a bootstrap over the coded responses: resampled with
Poisson(1) weights, one set of weights shared by every theme, seeded so the same sample always gives the same
answer. The verdict compares the interval, not the point estimate, with the bar.
"""

import math

import numpy as np

# 95% intervals: the usual convention, and what reviewers will read as "probably between".
Z_95 = 1.959964
BOOTSTRAP_ROUNDS = 1000
# Fixed so an unchanged sample gives unchanged intervals (a page refresh must not move the figures).
BOOTSTRAP_SEED = 20171006
# F1 of 0.70 on a theme: close to how far two trained human coders agree with each other on themes (about 0.74 in
# published evaluations), so a machine above it is as good as adding another coder.
TRUSTED_F1 = 0.70
# Cohen's kappa of 0.60: the lower edge of "substantial agreement" on Landis and Koch's scale.
TRUSTED_KAPPA = 0.60
# Below this many reviewer-coded examples of a theme (or coded responses, for stance) no interval is narrow
# enough to mean anything; the verdict asks for more codings instead.
MIN_EXAMPLES = 5
MIN_STANCE_SAMPLE = 20


def wilson_interval(successes: int, trials: int) -> tuple[float, float] | None:
    """95% Wilson score interval of a proportion; None without trials."""
    if trials == 0:
        return None
    p = successes / trials
    z2 = Z_95 * Z_95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_weights(n: int) -> np.ndarray:
    """(rounds, n) Poisson(1) resampling weights, the same for the same n."""
    return np.random.default_rng(BOOTSTRAP_SEED).poisson(1.0, size=(BOOTSTRAP_ROUNDS, n)).astype(np.float32)


def _percentiles(values: np.ndarray) -> tuple[float, float] | None:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def f1_interval(
    true_positive: np.ndarray, false_positive: np.ndarray, false_negative: np.ndarray, weights: np.ndarray
) -> tuple[float, float] | None:
    """Bootstrap 95% interval of F1 from per-response 0/1 indicators; None without any positive."""
    if not (true_positive.any() or false_positive.any() or false_negative.any()):
        return None
    tp = weights @ true_positive
    denominator = 2 * tp + weights @ false_positive + weights @ false_negative
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
    return _percentiles(f1)


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items; None without items."""
    n = len(first)
    if n == 0:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / n
    labels = set(first) | set(second)
    expected = sum((first.count(label) / n) * (second.count(label) / n) for label in labels)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def kappa_interval(first: list[str], second: list[str], weights: np.ndarray) -> tuple[float, float] | None:
    """Bootstrap 95% interval of Cohen's kappa; None without items."""
    if not first:
        return None
    labels = sorted(set(first) | set(second))
    a = np.array([[label == value for label in labels] for value in first], dtype=np.float32)
    b = np.array([[label == value for label in labels] for value in second], dtype=np.float32)
    agree = (a * b).sum(axis=1)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (weights @ agree) / total
        expected = ((weights @ a) * (weights @ b)).sum(axis=1) / (total * total)
        kappa = np.where(expected < 1.0, (observed - expected) / (1.0 - expected), np.where(observed >= 1.0, 1.0, 0.0))
    return _percentiles(np.where(total > 0, kappa, np.nan))


def _span(interval: tuple[float, float]) -> str:
    return f"{interval[0]:.2f} to {interval[1]:.2f}"


def _verdict(measure: str, bar: float, interval: tuple[float, float], good: str, bad: str) -> dict:
    """Trusted when the interval's low end clears the bar, not trusted when its high end misses it."""
    probably = f"{measure} is probably {_span(interval)}"
    if interval[0] >= bar:
        return {"verdict": "trusted", "reason": f"Good enough to trust: {probably}, {good}."}
    if interval[1] < bar:
        return {
            "verdict": "not_trusted",
            "reason": f"Not good enough: {probably}, below {bar:.2f} even at the high end. {bad}",
        }
    return {
        "verdict": "not_yet_known",
        "reason": f"Not yet known: {probably}, which spans the {bar:.2f} bar. More reviewer codings will narrow it.",
    }


def theme_verdict(reviewer_count: int, interval: tuple[float, float] | None) -> dict:
    """Whether the machine's coding of one theme can be trusted, in words a reviewer acts on."""
    if reviewer_count < MIN_EXAMPLES or interval is None:
        return {
            "verdict": "too_few_codings",
            "reason": f"Reviewers have coded this theme {reviewer_count} times; at least {MIN_EXAMPLES} are needed "
            "before its accuracy can be judged. Code more responses that raise it.",
        }
    return _verdict(
        "F1",
        TRUSTED_F1,
        interval,
        f"at or above {TRUSTED_F1:.2f} even at the low end, about as close as two human coders come",
        "Check this theme's machine coding by hand, or add examples to its codebook entry.",
    )


def stance_verdict(n: int, interval: tuple[float, float] | None) -> dict:
    """Whether the machine's stance can be trusted, judged on kappa's interval."""
    if n < MIN_STANCE_SAMPLE or interval is None:
        return {
            "verdict": "too_few_codings",
            "reason": f"{n} coded responses compared; at least {MIN_STANCE_SAMPLE} are needed before the stance's "
            "accuracy can be judged.",
        }
    return _verdict(
        "kappa",
        TRUSTED_KAPPA,
        interval,
        f"substantial agreement (at least {TRUSTED_KAPPA:.2f}) even at the low end",
        "Read stances by hand, or code more responses so the model can learn.",
    )
