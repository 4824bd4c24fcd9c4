"""Whether to trust the machine, in words: a verdict on the intervals the engine's `quality` module computes.

The engine measures (precision, recall and F1 per theme with intervals; Cohen's kappa for stance with its
interval). This module decides what a reviewer should read from them. The verdict compares the interval, not the
point estimate, with the bar: a theme coded five times does not show what a theme coded five hundred times does.
"""

# F1 of 0.70 on a theme: close to how far two trained human coders agree with each other on themes (about 0.74 in
# published evaluations), so a machine above it is as good as adding another coder.
TRUSTED_F1 = 0.70
# Cohen's kappa of 0.60: the lower edge of "substantial agreement" on Landis and Koch's scale.
TRUSTED_KAPPA = 0.60
# Below this many reviewer-coded examples of a theme (or coded responses, for stance) no interval is narrow
# enough to mean anything; the verdict asks for more codings instead.
MIN_EXAMPLES = 5
MIN_STANCE_SAMPLE = 20


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
