"""CLI: ``python -m consultation.analysis.engine.evaluate --test FILE.jsonl [--train FILE.jsonl]
[--codebook CODEBOOK.json] [--train-codebook CB.json] [--cv 5]`` prints one JSON object.

The implementation is in :mod:`.scoring`. Importing this submodule rebinds the package attribute
``engine.evaluate`` to this module, so the module is made callable (it forwards to :func:`evaluate`) to keep
``from consultation.analysis.engine import evaluate; evaluate(...)`` working either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from collections.abc import Sequence

from .codebook import CodebookSpec
from .scoring import _default_codebook, cross_validate, evaluate, load_jsonl

__all__ = ["evaluate", "cross_validate", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m consultation.analysis.engine.evaluate",
        description="Score the analysis engine against labelled responses.",
    )
    ap.add_argument("--test", required=True, help="JSONL of labelled responses to code and score")
    ap.add_argument("--train", help="JSONL of labelled responses to train on first")
    ap.add_argument("--codebook", help="codebook JSON for the test responses")
    ap.add_argument("--train-codebook", help="codebook of --train if it is a different question")
    ap.add_argument("--cv", type=int, default=0, help="k-fold cross-validation over --test instead")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(list(argv) if argv is not None else None)
    test = load_jsonl(args.test)
    if args.codebook:
        with open(args.codebook, encoding="utf-8") as fh:
            cb = CodebookSpec.from_dict(json.load(fh))
    else:
        cb = _default_codebook(test)
    if args.cv and args.cv > 1:
        res = cross_validate(test, cb, folds=args.cv, seed=args.seed)
    else:
        train = load_jsonl(args.train) if args.train else None
        tcb = None
        if args.train_codebook:
            with open(args.train_codebook, encoding="utf-8") as fh:
                tcb = CodebookSpec.from_dict(json.load(fh))
        res = evaluate(test, cb, train, train_codebook=tcb)
    json.dump(res, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    raise SystemExit(main())
