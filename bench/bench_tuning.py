"""Benchmark tuning MiniLM's top layers on codings: the job's time for N codings, and coding speed after it.

Tunes on the first ``--codings`` labelled records of the JSONL files given (the shape of
``../shared/data/dev_responses.jsonl``: text, stance, themes; the files are read only here, never by the engine),
with the job's own step count, and prints wall and CPU time with the load average before and after (other work
on the machine inflates the wall time; the process's CPU time is the steadier figure). Then codes ``--texts``
unseen texts with the engine fitted on the same codings, frozen and tuned, every text embedded afresh, and
prints responses per second for each.

    .venv/bin/python bench/bench_tuning.py --records ../shared/data/gambling_xs/responses_part1.jsonl \
        ../shared/data/gambling_xs/responses_part2.jsonl --codings 200
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine_recode import make_texts  # noqa: E402

from consultation.analysis.engine import CodebookSpec, model_status  # noqa: E402
from consultation.analysis.engine.core import Engine  # noqa: E402
from consultation.analysis.engine.finetune import TUNED_LAYERS, tune  # noqa: E402


def load(paths: list[str]) -> list[dict]:
    records = []
    for path in paths:
        if not Path(path).is_file():
            sys.exit(f"{path} is missing: pass labelled JSONL files with --records")
        with open(path, encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    return records


def coding_speed(records: list[dict], texts: list[str], encoder) -> tuple[float, float]:
    """Responses per second of wall time and of this process's CPU time."""
    keys = sorted({key for r in records for key in r.get("themes", [])})
    engine = Engine(CodebookSpec.from_dict({"themes": {k: k.replace("_", " ") for k in keys}}), cache={})
    engine = Engine(engine.codebook, cache={}, encoder=encoder).fit(records)
    started, cpu = time.perf_counter(), time.process_time()
    engine.code(texts)
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", nargs="+", required=True)
    parser.add_argument("--codings", type=int, default=200)
    parser.add_argument("--texts", type=int, default=500, help="unseen texts to code after tuning")
    args = parser.parse_args()
    if not model_status()["available"]:
        sys.exit("the sentence model is not installed (make install adds it)")
    records = [r for r in load(args.records) if r.get("text")][: args.codings]
    print(f"cores {os.cpu_count()}, load before {os.getloadavg()}, {len(records)} codings, top {TUNED_LAYERS} layers")
    t0, c0 = time.perf_counter(), time.process_time()
    encoder = tune([r["text"] for r in records], [r.get("stance") for r in records], [r["themes"] for r in records])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"tuning: {encoder.steps} steps, {wall:.1f}s wall, {cpu:.1f}s cpu, loss {encoder.loss_before:.3f} -> "
        f"{encoder.loss_after:.3f}, stored {len(encoder.to_bytes()) / 1e6:.1f} MB, load after {os.getloadavg()}"
    )
    texts = make_texts(args.texts)[0]
    for label, used in (("frozen", None), ("tuned", encoder)):
        wall_rate, cpu_rate = coding_speed(records, texts, used)
        print(f"coding {len(texts)} unseen texts, {label}: {wall_rate:.1f} responses/s wall, {cpu_rate:.1f} per CPU s")
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
