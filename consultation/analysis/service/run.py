"""The analysis run: stance, themes, flags, redaction and campaigns for a consultation's responses, in bulk.

In the order a run does it: read the inputs (`inputs`), get the fitted models (`fitting`), skip responses whose
input hash (text, agreement answer, model version) has not changed, code the rest (`machine`), write them batch by
batch (`writing`) and regroup the campaigns (`campaigns`). A run after a new reviewer coding (a new model version)
re-codes everything; an intake run codes what came in, reading nothing of the consultation's other responses.
"""

import math
import time
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.models import Codebook, Theme
from consultation.analysis.service import tuning
from consultation.analysis.service.campaigns import group_campaigns, place_in_campaigns, refresh_campaigns
from consultation.analysis.service.embeddings import preload_texts
from consultation.analysis.service.fitting import get_models
from consultation.analysis.service.inputs import chunks, input_hash, load_inputs, question_plan
from consultation.analysis.service.locking import DEFAULT_WAIT_SECONDS, analysis_lock
from consultation.analysis.service.machine import code_in_worker, code_texts, pool_for
from consultation.analysis.service.tuning_job import request_tuning
from consultation.analysis.service.writing import (
    Batch,
    RunSummary,
    active_ids,
    existing_state,
    mark_checked,
    remove_withdrawn,
    write_batch,
)
from consultation.catalog.models import Consultation
from consultation.intake.models import Response

Progress = Callable[[int, int], None]
# The model version each consultation was last checked for a due tuning at, in this process.
_tuning_checked: dict[int, str] = {}


def analyse(
    session: Session,
    consultation: Consultation,
    *,
    response_ids: list[int] | None = None,
    force: bool = False,
    workers: int = 1,
    progress: Progress | None = None,
    lock_wait: float = DEFAULT_WAIT_SECONDS,
) -> RunSummary:
    """Analyse a consultation's responses (or only `response_ids`): incremental unless `force`.

    One run per consultation at a time (service/locking.py): a second waits up to `lock_wait` seconds."""
    with analysis_lock(session, consultation.id, wait=lock_wait):
        summary = _analyse_holding_lock(
            session, consultation, response_ids=response_ids, force=force, workers=workers, progress=progress
        )
    # A new model version means new training data: the moment to see whether tuning the sentence model is due.
    if _tuning_checked.get(consultation.id) != summary.model_version:
        _tuning_checked[consultation.id] = summary.model_version
        request_tuning(session, consultation)
    return summary


def _analyse_holding_lock(
    session: Session,
    consultation: Consultation,
    *,
    response_ids: list[int] | None,
    force: bool,
    workers: int,
    progress: Progress | None,
) -> RunSummary:
    started = time.perf_counter()
    plan = question_plan(session, consultation)
    models = get_models(session, consultation, plan, recount_signal=response_ids is None)
    theme_ids = _active_theme_ids(session, consultation)
    summary = RunSummary(
        consultation=consultation.slug,
        model_version=models.version,
        reviewer_examples=models.reviewer_examples,
        agreement_examples=models.agreement_examples,
    )
    summary.withdrawn_removed = remove_withdrawn(session, consultation, response_ids)
    active = active_ids(session, consultation, response_ids)
    summary.responses = len(active)
    done = 0
    if progress:
        progress(done, len(active))
    batches, all_texts, done = _plan_batches(session, plan, models, active, response_ids, force, summary, progress)
    to_code = sum(len(batch.response_ids) for batch in batches)
    # A full run regroups the campaigns over every text; a run for a few responses places only those (it must not
    # read the consultation's other texts, so its cost does not grow with the consultation).
    regroup = response_ids is None and bool(batches or summary.withdrawn_removed or force)
    loaded_at = time.perf_counter()
    summary.timings["load"] = round(loaded_at - started, 2)
    pool = pool_for(models, workers, to_code)
    try:
        groups_future: Future | None = None
        if pool is not None and regroup:
            # Grouping campaigns does not depend on coding: one worker starts on it while the others code.
            groups_future = pool.submit(group_campaigns, all_texts)
        _hand_out(session, models, batches, pool, workers)
        summary.parallel_workers = workers if pool is not None else 0
        done = _code_and_write(
            session, consultation, models, batches, pool, theme_ids, summary, (done, len(active), progress)
        )
        coded_at = time.perf_counter()
        summary.timings["code_and_write"] = round(coded_at - loaded_at, 2)
        if regroup:
            groups = groups_future.result() if groups_future is not None else group_campaigns(all_texts)
            summary.campaigns = refresh_campaigns(session, consultation, groups)
        elif response_ids is not None and batches:
            texts = {rid: batch.inputs[rid].text for batch in batches for rid in batch.response_ids}
            summary.placed_in_campaigns = place_in_campaigns(session, consultation, texts)
        session.commit()
        summary.timings["campaigns"] = round(time.perf_counter() - coded_at, 2)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    summary.timings["total"] = round(time.perf_counter() - started, 2)
    return summary


def _hand_out(session: Session, models, batches: list[Batch], pool, workers: int) -> None:
    """Each batch's texts: kept to code here without a pool, else sent to the pool's workers in pieces."""
    for batch in batches:
        items = [(batch.inputs[rid].text, batch.inputs[rid].agreement_stance is None) for rid in batch.response_ids]
        if pool is None:
            batch.result = items
            continue
        # Smaller pieces than a batch keep every worker busy until the end.
        pieces = list(chunks(items, max(500, math.ceil(len(items) / workers))))
        preload_texts(session, models.vectors, [text for text, _ in items] + models.described)
        batch.result = [
            pool.submit(code_in_worker, piece, models.vectors.known([t for t, _ in piece] + models.described))
            for piece in pieces
        ]
        models.vectors.clear()


def _active_theme_ids(session: Session, consultation: Consultation) -> dict[str, int]:
    return {
        key: theme_id
        for key, theme_id in session.execute(
            select(Theme.key, Theme.id)
            .join(Codebook, Codebook.id == Theme.codebook_id)
            .where(Theme.is_active.is_(True), Codebook.consultation_id == consultation.id)
        )
    }


def _plan_batches(session, plan, models, active, response_ids, force, summary, progress):
    """The batches whose input changed since their last coding (all with force), the texts a full run regroups,
    and how many responses are done already (unchanged ones)."""
    done = 0
    batches: list[Batch] = []
    all_texts: list[tuple[int, str]] = []
    for ids in chunks(active, tuning.BATCH_SIZE):
        inputs = load_inputs(session, plan, ids)
        state = existing_state(session, ids)
        hashes = {response_id: input_hash(inputs[response_id], models.version) for response_id in ids}
        todo = [rid for rid in ids if force or state.get(rid, (None, False))[0] != hashes[rid]]
        if response_ids is None:
            all_texts.extend((rid, inputs[rid].text) for rid in ids if inputs[rid].text)
        skipped = len(ids) - len(todo)
        if response_ids is not None and skipped:
            # asked about these responses (a notice or the sweep): note that they were looked at and are current
            coding = set(todo)
            mark_checked(session, [rid for rid in ids if rid not in coding and rid in state])
        summary.unchanged += skipped
        done += skipped
        if progress and skipped:
            progress(done, len(active))
        if todo:
            batches.append(
                Batch(
                    response_ids=todo,
                    inputs={rid: inputs[rid] for rid in todo},
                    hashes={rid: hashes[rid] for rid in todo},
                    existing={rid for rid in todo if rid in state},
                )
            )
    return batches, all_texts, done


def _code_and_write(session, consultation, models, batches, pool, theme_ids, summary, counting) -> int:
    """Collect each batch's codes (from the pool's workers, or coded here), write them and commit batch by batch;
    returns how many responses are done."""
    done, total, progress = counting
    for batch in batches:
        if pool is None:
            # The background stage embeds here, through the models' cache: stored vectors are not recomputed.
            preload_texts(session, models.vectors, [text for text, _ in batch.result] + models.described)
            coded = code_texts(models.stance, models.themes, batch.result)
        else:
            coded = []
            for future in batch.result:
                piece, fresh = future.result()
                coded.extend(piece)
                for key, vector in fresh.items():
                    models.vectors[key] = vector
        summary.embedded += models.vectors.save(session)
        models.vectors.clear()
        summary.reviewer_coded_kept += write_batch(session, consultation, models, batch, coded, theme_ids)
        session.commit()
        summary.analysed += len(batch.response_ids)
        done += len(batch.response_ids)
        if progress:
            progress(done, total)
    return done


def consultations_of(session: Session, response_ids: list[int]) -> dict[int, list[int]]:
    """Group response ids by consultation id."""
    grouped: dict[int, list[int]] = {}
    for chunk in chunks(sorted(set(response_ids)), tuning.BATCH_SIZE):
        for response_id, consultation_id in session.execute(
            select(Response.id, Response.consultation_id).where(Response.id.in_(chunk))
        ):
            grouped.setdefault(consultation_id, []).append(response_id)
    return grouped
