"""Measured, not claimed: do codings chosen by :func:`~.active.rank_for_coding` teach more than random ones?

For each seed the labelled records are split in two: a pool (``pool_share`` of them, two thirds by default)
and a test set. The pool has to be well over the budget, or both ways end up coding much the same responses.
"Random" codes ``budget`` pool responses drawn at random; "ranked" starts from the untrained engine and codes
the pool in rounds of ``step``, each round the most useful responses by the engine's ranking after learning
from the rounds before. Both are scored on the same test set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .codebook import CodebookSpec
from .core import Engine
from .finetune import tune
from .scoring import evaluate

SCORES = ("stance_macro_f1", "theme_micro_f1")


def tuned_on(records: Sequence[dict]):
    """The sentence model's top layers tuned on labelled records (finetune.py); None when nothing to learn."""
    records = [r for r in records if r.get("text")]
    return tune(
        [r["text"] for r in records], [r.get("stance") for r in records], [r.get("themes", []) for r in records]
    )


def _score(codebook, pool, chosen, test, use_model, cache, tune_encoder=False) -> dict:
    train = [pool[i] for i in chosen]
    encoder = tuned_on(train) if tune_encoder and use_model is not False else None
    result = evaluate(test, codebook, train, use_model=use_model, cache=cache, encoder=encoder)
    return {key: result[key] for key in SCORES}


def pool_size(n: int, pool_share: float = 2 / 3) -> int:
    """How many of ``n`` labelled records form the pool to choose codings from (the rest are the test set)."""
    return int(round(n * pool_share))


def compare_selection(
    records: Sequence[dict],
    codebook: CodebookSpec,
    budget: int = 50,
    step: int = 10,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    pool_share: float = 2 / 3,
    use_model: bool | None = None,
    cache=None,
    tune_encoder: bool = False,
) -> dict:
    """Mean scores after ``budget`` codings chosen at random and by the ranking, over ``seeds``; with
    ``tune_encoder`` the sentence model is tuned on the chosen codings before scoring (the ranking itself runs on
    the frozen model, as a consultation does before it has enough codings to tune)."""
    records = list(records)
    cache = {} if cache is None else cache
    runs: dict[str, list[dict]] = {"random": [], "ranked": []}
    cut = pool_size(len(records), pool_share)
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(records))
        pool, test = [records[i] for i in order[:cut]], [records[i] for i in order[cut:]]
        budget_here = min(budget, len(pool))
        random_pick = np.random.default_rng(seed + 1000).choice(len(pool), size=budget_here, replace=False)
        runs["random"].append(_score(codebook, pool, list(random_pick), test, use_model, cache, tune_encoder))
        chosen: list[int] = []
        while len(chosen) < budget_here:
            engine = Engine(codebook, use_model=use_model, cache=cache)
            if chosen:
                engine.fit([pool[i] for i in chosen])
            rest = [i for i in range(len(pool)) if i not in set(chosen)]
            ranked = engine.next_to_code(
                [pool[i]["text"] for i in rest],
                [pool[i]["text"] for i in chosen],
                n=min(step, budget_here - len(chosen)),
            )
            chosen.extend(rest[r] for r in ranked)
        runs["ranked"].append(_score(codebook, pool, chosen, test, use_model, cache, tune_encoder))
    out: dict = {
        "tuned": tune_encoder,
        "budget": budget,
        "step": step,
        "seeds": list(seeds),
        "n": len(records),
        "pool": cut,
    }
    for name, scores in runs.items():
        out[name] = {
            key: {
                "mean": round(float(np.mean([s[key] for s in scores])), 4),
                "runs": [round(s[key], 4) for s in scores],
            }
            for key in SCORES
        }
    return out
