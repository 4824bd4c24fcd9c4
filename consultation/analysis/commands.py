"""Analysis commands, registered by consultation/cli.py: `flask analyse`, `flask analyse-pending` and
`flask evaluate-analysis`."""

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from consultation.analysis import demo
from consultation.analysis.background import sweep
from consultation.analysis.engine import CodebookSpec, cross_validate, evaluate, model_status
from consultation.analysis.engine.comparison import compare_tuning
from consultation.analysis.engine.embedding import FileCache
from consultation.analysis.engine.experiments import compare_selection, pool_size, tuned_on
from consultation.analysis.service import analyse
from consultation.analysis.service.locking import DEFAULT_WAIT_SECONDS
from consultation.analysis.tasks import configured_workers
from consultation.catalog.models import Consultation
from consultation.extensions import db


@click.command("analyse")
@click.option("--consultation", "slug", required=True, help="The consultation's slug.")
@click.option("--force", is_flag=True, help="Re-code every response, changed or not.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for coding (default: cores).")
def analyse_command(slug, force, workers):
    """Analyse a consultation now: stance, themes, flags, campaigns; only what changed unless --force."""
    from tqdm import tqdm

    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise click.ClickException(f"No consultation {slug!r}.")
    with tqdm(total=0, unit="responses", desc=f"Analysing {slug}", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        summary = analyse(
            db.session, consultation, force=force, workers=workers or configured_workers(), progress=progress
        )
    click.echo(json.dumps(summary.as_dict(), indent=2))


@click.command("analyse-pending")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for coding (default: cores).")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_WAIT_SECONDS,
    show_default=True,
    help="Seconds to wait for a consultation another run is analysing.",
)
def analyse_pending_command(workers, wait):
    """Code every response whose analysis never ran (a lost notice), in every consultation: the sweep, once."""
    summaries = sweep(db.session, workers=workers or configured_workers(), lock_wait=wait)
    click.echo(json.dumps(summaries, indent=2))


def _read_jsonl(path: str, option: str) -> list[dict]:
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise click.BadParameter(f"{path}, line {number}: not JSON ({error.msg}).", param_hint=option) from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise click.BadParameter(f"{path}, line {number}: needs an object with a 'text'.", param_hint=option)
            if not isinstance(record.get("themes", []), list) or not isinstance(record.get("flags", []), list):
                raise click.BadParameter(f"{path}, line {number}: 'themes' and 'flags' are lists.", param_hint=option)
            records.append(record)
    if not records:
        raise click.BadParameter(f"{path} holds no records.", param_hint=option)
    return records


def _read_codebook(path: str | None) -> CodebookSpec:
    if path is None:
        return CodebookSpec.from_dict(demo.as_dict())
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("themes"), dict | list):
            raise ValueError("needs an object with 'themes'")
        return CodebookSpec.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise click.BadParameter(f"{path} is not a codebook: {error}", param_hint="--codebook") from None


READABLE = click.Path(exists=True, dir_okay=False, readable=True)


@click.command("evaluate-analysis")
@click.option("--test", "test_path", required=True, type=READABLE, help="Labelled JSONL to code and score.")
@click.option("--train", "train_path", type=READABLE, help="Labelled JSONL to learn from first, as reviewer codings.")
@click.option("--codebook", "codebook_path", type=READABLE, help="Codebook JSON (default: the demo's).")
@click.option("--cv", type=click.IntRange(min=2), default=None, help="k-fold cross-validation over --test instead.")
@click.option("--seed", type=int, default=0, help="Seed for the cross-validation folds.")
@click.option("--no-model", is_flag=True, help="Score the words-only engine, as on a server without the model.")
@click.option(
    "--compare-selection",
    "selection_budget",
    type=click.IntRange(min=2),
    default=None,
    help="Instead: N codings chosen by the next-to-code ranking against N random ones (five seeds).",
)
@click.option(
    "--tune",
    is_flag=True,
    help="Tune the sentence model's top layers on the codings: with --cv, score tuned against frozen and the "
    "TF-IDF + LR and MiniLM + LR baselines; with --compare-selection or --train, score the tuned engine.",
)
@click.option(
    "--embedding-cache",
    type=click.Path(dir_okay=False),
    default=None,
    help="An .npz file that keeps sentence vectors between runs (created when missing).",
)
def evaluate_command(test_path, train_path, codebook_path, cv, seed, no_model, selection_budget, tune, embedding_cache):
    """Score the analysis against labelled responses and print one JSON object."""
    test = _read_jsonl(test_path, "--test")
    codebook = _read_codebook(codebook_path)
    status = model_status()
    use_model = status["available"] and not no_model
    cache = FileCache(embedding_cache) if embedding_cache and use_model else None
    if (cv or selection_budget) and train_path:
        raise click.UsageError("--cv and --compare-selection work over --test alone; leave out --train.")
    if tune and not use_model:
        raise click.UsageError("--tune needs the sentence model (make install adds it); leave out --no-model.")
    if cv and cv > len(test):
        raise click.BadParameter(f"{cv} folds need at least {cv} records.", param_hint="--cv")
    if selection_budget:
        if selection_budget > pool_size(len(test)):
            raise click.BadParameter(
                f"two thirds of --test ({pool_size(len(test))}) are the pool to pick {selection_budget} from."
            )
        result = compare_selection(
            test, codebook, budget=selection_budget, use_model=use_model, cache=cache, tune_encoder=tune
        )
    elif cv and tune:
        result = compare_tuning(test, codebook, folds=cv, seed=seed, cache=cache)
    elif cv:
        result = cross_validate(test, codebook, folds=cv, seed=seed, use_model=use_model, cache=cache)
    else:
        train = _read_jsonl(train_path, "--train") if train_path else None
        encoder = tuned_on(train) if tune and train else None
        result = evaluate(test, codebook, train, use_model=use_model, cache=cache, encoder=encoder)
    if cache is not None:
        cache.save()
    mode = "embeddings" if use_model else "words only"
    reason = "switched off with --no-model" if no_model and status["available"] else status["reason"]
    result["sentence_model"] = {
        "name": status["model"],
        "used": use_model,
        "mode": mode,
        "reason": None if use_model else reason,
    }
    click.echo(json.dumps(result, indent=2))


COMMANDS = (analyse_command, analyse_pending_command, evaluate_command)
