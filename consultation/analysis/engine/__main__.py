"""``python -m consultation.analysis.engine --test FILE.jsonl [--train FILE.jsonl] [--codebook CB.json]
[--train-codebook CB.json] [--cv 5] [--no-model]``: score the engine and print one JSON object."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .codebook import CodebookSpec
from .scoring import cross_validate, default_codebook, evaluate, load_jsonl


def _codebook(path: str) -> CodebookSpec:
    with open(path, encoding="utf-8") as handle:
        return CodebookSpec.from_dict(json.load(handle))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m consultation.analysis.engine",
        description="Score the analysis engine against labelled responses.",
    )
    parser.add_argument("--test", required=True, help="JSONL of labelled responses to code and score")
    parser.add_argument("--train", help="JSONL of labelled responses to train on first")
    parser.add_argument("--codebook", help="codebook JSON for the test responses")
    parser.add_argument("--train-codebook", help="codebook of --train if it is a different question")
    parser.add_argument("--cv", type=int, default=0, help="k-fold cross-validation over --test instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-model", action="store_true", help="score the words-only engine")
    args = parser.parse_args(list(argv) if argv is not None else None)
    test = load_jsonl(args.test)
    codebook = _codebook(args.codebook) if args.codebook else default_codebook(test)
    use_model = False if args.no_model else None
    if args.cv and args.cv > 1:
        result = cross_validate(test, codebook, folds=args.cv, seed=args.seed, use_model=use_model)
    else:
        train = load_jsonl(args.train) if args.train else None
        train_codebook = _codebook(args.train_codebook) if args.train_codebook else None
        result = evaluate(test, codebook, train, train_codebook=train_codebook, use_model=use_model)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
