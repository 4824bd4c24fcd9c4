"""Benchmark the sentence-model stage: MiniLM embeddings with numpy, responses per second.

Runs on synthetic responses (recombined generic phrases, as in bench_engine_recode.py). Beside the engine's
own batching (texts sorted by length, batches of about EMBED_BATCH_TOKENS word pieces) it runs, in the same
process, a plain baseline: texts in their own order, 32 at a time, padded to each batch's longest. A third
run re-embeds the same texts through the cache. The machine's core count and load are printed first.

    .venv/bin/python bench/bench_embedding.py [--n 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine_recode import make_texts  # noqa: E402

from bench import loadguard  # noqa: E402
from consultation.analysis.engine.embedding import DIMENSION, embed, load_model, model_status  # noqa: E402


def plain_baseline(texts: list[str], batch: int = 32) -> np.ndarray:
    model = load_model()
    ids = model.token_ids(texts)
    pairs = np.vstack([model.forward(ids[i : i + batch]) for i in range(0, len(ids), batch)])
    return pairs[:, :DIMENSION]  # the sentence vectors, as embed() returns


def timed(label: str, n: int, run) -> np.ndarray:
    t0, c0 = time.perf_counter(), time.process_time()
    out = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{label:<44} {wall:6.1f}s wall {cpu:6.1f}s cpu  {n / wall:7.1f} responses/s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    loadguard.add_arguments(parser)
    args = parser.parse_args(argv)
    guard = loadguard.start(args)
    status = model_status()
    if not status["available"]:
        print(f"no sentence model: {status['reason']}")
        return 1
    texts = list(dict.fromkeys(make_texts(args.n * 3)[0]))[: args.n]  # distinct texts, as the cache would see
    tokens = [len(x) for x in load_model().token_ids(texts)]
    print(
        f"cores={os.cpu_count()} n={len(texts)} "
        f"mean_tokens={np.mean(tokens):.0f} max_tokens={max(tokens)} model={status['model']}"
    )
    embed(["warm up"])
    baseline = timed("baseline: in order, 32 a batch", len(texts), lambda: plain_baseline(texts))
    cache: dict = {}
    ours = timed("engine: sorted by length, token-budget batches", len(texts), lambda: embed(texts, cache=cache))
    timed("engine again, every text cached", len(texts), lambda: embed(texts, cache=cache))
    print(f"largest difference from the baseline's vectors: {np.abs(baseline - ours).max():.2e}")
    guard.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
