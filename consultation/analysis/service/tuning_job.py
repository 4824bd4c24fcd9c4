"""Tuning the sentence model on a consultation's reviewer codings: when it is due, the job, and its status.

Tuning is long work (minutes on two cores), so it never runs in a request. The analysis run decides, where it
refits the models, whether a tuning is due (`tuning_due`: at least MIN_CODINGS_TO_TUNE coded responses with text,
and since the last tuning the codings grew by RETUNE_GROWTH or the codebook's theme keys changed); after the run
`request_tuning` marks the job queued and hands it to the dispatcher. The job itself is the plain function
`tune_consultation(session, consultation_id, progress=...)`: it records its progress on the consultation's
`analysis_tunings` row (shown by the analysis status) and stores the tuned layers only once it has finished, so
the last good tuning, or the untuned model before the first, codes meanwhile. The embedded default dispatcher
(`tune_and_recode`) tunes in the same background job as the run that asked, then runs the analysis again so every
response is coded with the tuned vectors; `set_tuning_dispatcher` lets the app hand it to its job queue instead.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from consultation.analysis.engine import model_available
from consultation.analysis.engine.constants import TUNED_PARTS
from consultation.analysis.engine.finetune import planned_steps, tune
from consultation.analysis.models import AnalysisTuning
from consultation.analysis.service import tuning
from consultation.analysis.service.codebook import engine_codebook
from consultation.analysis.service.fitting import forget_models, reviewer_codings, reviewer_examples_of
from consultation.analysis.service.inputs import question_plan
from consultation.analysis.service.tuned_store import codebook_version
from consultation.catalog.models import Consultation
from consultation.clock import now

log = logging.getLogger(__name__)

# A queued or running job not heard of for this long died with its process: a new one may start.
STALE_JOB = timedelta(hours=1)
_ACTIVE = ("queued", "running")

Dispatcher = Callable[[Session, int], None]
_dispatcher: Dispatcher | None = None


def set_tuning_dispatcher(dispatcher: Dispatcher | None) -> None:
    """Where `request_tuning` sends a due job: a function of (session, consultation_id); None for the default."""
    global _dispatcher
    _dispatcher = dispatcher


def _job_alive(row: AnalysisTuning) -> bool:
    heard = row.started_at if row.state == "running" and row.started_at else row.requested_at
    return row.state in _ACTIVE and heard is not None and now() - heard < STALE_JOB


def tuning_due(session: Session, consultation_id: int, version: str, codings: int) -> bool:
    """Whether a tuning job should start: enough codings, none running, and new codings or theme keys since."""
    if codings < tuning.MIN_CODINGS_TO_TUNE or not TUNED_PARTS or not model_available():
        return False
    row = session.get(AnalysisTuning, consultation_id)
    if row is None:
        return True
    if _job_alive(row):
        return False
    if row.codebook_version != version and row.state == "done":
        return True
    return codings >= max(tuning.MIN_CODINGS_TO_TUNE, row.job_codings * tuning.RETUNE_GROWTH)


def request_tuning(session: Session, consultation: Consultation) -> bool:
    """Queue a tuning job for `consultation` if one is due; whether one was queued."""
    codebook = engine_codebook(session, consultation)
    codings = len(reviewer_codings(session, consultation))
    if not tuning_due(session, consultation.id, codebook_version(codebook), codings):
        return False
    row = session.get(AnalysisTuning, consultation.id)
    if row is None:
        row = AnalysisTuning(consultation_id=consultation.id, state="queued", codings=0)
        session.add(row)
    row.state, row.requested_at, row.job_codings, row.error = "queued", now(), codings, None
    row.steps_done, row.steps_total, row.started_at, row.finished_at = 0, 0, None, None
    session.commit()
    (_dispatcher or tune_and_recode)(session, consultation.id)
    return True


def tune_consultation(session: Session, consultation_id: int, progress: Callable[[int, int], None] | None = None):
    """Tune the sentence model on the consultation's reviewer codings and store the tuned layers; a summary."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        return None
    codebook = engine_codebook(session, consultation)
    ids = [response_id for response_id, _ in reviewer_codings(session, consultation)]
    examples = reviewer_examples_of(session, question_plan(session, consultation), ids)
    row = session.get(AnalysisTuning, consultation_id) or AnalysisTuning(consultation_id=consultation_id, codings=0)
    session.add(row)
    row.state, row.started_at, row.finished_at, row.error = "running", now(), None, None
    row.job_codings, row.steps_done, row.steps_total = len(examples), 0, planned_steps(len(examples))
    session.commit()

    def record(done: int, total: int) -> None:
        row.steps_done, row.steps_total = done, total
        session.commit()
        if progress is not None:
            progress(done, total)

    try:
        encoder = tune(
            [text for text, _, _ in examples],
            [stance for _, stance, _ in examples],
            [themes for _, _, themes in examples],
            progress=record,
        )
    except Exception as error:
        session.rollback()
        row.state, row.finished_at, row.error = "failed", now(), f"{type(error).__name__}: {error}"[:500]
        session.commit()
        raise
    row.finished_at = now()
    if encoder is None:
        row.state, row.error = "failed", "nothing to learn: the codings need two stances or two themes, or the model"
    else:
        row.state, row.codebook_version, row.codings = "done", codebook_version(codebook), encoder.codings
        row.weights, row.tuned_at = encoder.to_bytes(), row.finished_at
        row.loss_before, row.loss_after = round(encoder.loss_before, 4), round(encoder.loss_after, 4)
    session.commit()
    forget_models(consultation_id)
    return tuning_summary(row, codebook_version(codebook))


def tune_and_recode(session: Session, consultation_id: int) -> None:
    """The embedded default: tune now (in the background job that asked), then code every response again."""
    from consultation.analysis.service.run import analyse

    summary = tune_consultation(session, consultation_id)
    consultation = session.get(Consultation, consultation_id)
    if summary and summary["state"] == "done" and consultation is not None:
        analyse(session, consultation)


def tuning_summary(row: AnalysisTuning | None, version: str) -> dict:
    """The tuning part of the analysis status."""
    if row is None:
        return {"state": "none", "in_use": False, "min_codings": tuning.MIN_CODINGS_TO_TUNE}
    state = row.state if row.state not in _ACTIVE or _job_alive(row) else "stale"
    return {
        "state": state,
        "steps_done": row.steps_done,
        "steps_total": row.steps_total,
        "progress": round(row.steps_done / row.steps_total, 3) if row.steps_total else 0.0,
        "job_codings": row.job_codings,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "error": row.error,
        "in_use": row.weights is not None and row.codebook_version == version,
        "tuned_on_codings": row.codings,
        "tuned_at": row.tuned_at,
        "loss_before": row.loss_before,
        "loss_after": row.loss_after,
        "next_at_codings": max(tuning.MIN_CODINGS_TO_TUNE, int(row.job_codings * tuning.RETUNE_GROWTH + 0.999)),
        "min_codings": tuning.MIN_CODINGS_TO_TUNE,
    }


def tuning_status(session: Session, consultation: Consultation) -> dict:
    row = session.get(AnalysisTuning, consultation.id)
    return tuning_summary(row, codebook_version(engine_codebook(session, consultation)))
