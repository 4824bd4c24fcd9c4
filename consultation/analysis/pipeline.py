"""The analysis pipeline: stance, themes, flags, redaction and campaigns for a consultation's responses, in bulk.

How it works, in the order a run does it:

- Analysable text is a response's free-text answers (fields shorter than 50 characters, like a postcode
  district, are left out), joined in question order. The agreement answer, mapped through the question's
  `stance_mapping`, gives the stance where it was answered; the stance model covers the rest.
- The models learn from the consultation's own signal: every reviewer coding (stance and themes, weighted
  `REVIEWER_WEIGHT`) and, for stance, responses that answered both the agreement question and the free text.
  They are fitted once per training-data fingerprint (codebook, reviewer codings, size of the agreement signal)
  and kept in memory per consultation, in each process; `model_version` names the fingerprint.
- A response is re-analysed only when the hash of its text, agreement answer and model version changed, so a
  run after a new reviewer coding (a new model version) re-codes everything and an intake run codes what came in.
- Writes are bulk statements per batch of `BATCH_SIZE` responses, committed per batch. The machine never
  changes the stance or themes of a reviewer-coded response; it still records its own output as a
  `CodingEvent(source="machine")` whenever that output changes, which is what the agreement figures compare.
- Campaigns (identical and near-identical texts) are regrouped over the whole consultation when anything changed.
- Large runs code batches in a pool of processes (`workers`); small ones, and runs inside daemonic workers
  (Celery's prefork children cannot have children), code inline.
"""

import hashlib
import json
import math
import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from consultation.analysis.codebook import engine_codebook
from consultation.analysis.coding import latest_machine_outputs
from consultation.analysis.engine import Codebook as EngineCodebook
from consultation.analysis.engine import StanceModel, ThemeModel, detect_flags, find_campaigns, redact
from consultation.analysis.engine.scoring import proposal_text
from consultation.analysis.locking import DEFAULT_WAIT_SECONDS, analysis_lock
from consultation.analysis.models import Campaign, Codebook, CodingEvent, ResponseAnalysis, Theme, ThemeAssignment
from consultation.catalog.models import Consultation, Question, Questionnaire
from consultation.clock import now
from consultation.intake.models import Answer, Response

BATCH_SIZE = 5000
# Bump when the way the pipeline uses the engine changes, so every response is re-coded once.
PIPELINE_GENERATION = "1"
MIN_TEXT_FIELD_LENGTH = 50
REVIEWER_WEIGHT = 3.0
# The agreement signal is used once at least MIN_SIGNAL responses carry it, and grows in steps of SIGNAL_GROWTH
# (so the model is not refitted for every new response), up to MAX_SIGNAL responses, the earliest first.
MIN_SIGNAL = 20
SIGNAL_GROWTH = 1.5
MAX_SIGNAL = 5000
# Texts of fewer words are too short to call a template letter ("Keep it open." is not a campaign).
MIN_CAMPAIGN_WORDS = 6
CAMPAIGN_THRESHOLD = 0.85
# Runs for a few responses (after intake) regroup campaigns only in consultations up to this size; larger
# consultations regroup on the next full run (`flask analyse`), which always does it when anything changed.
CAMPAIGN_INLINE_LIMIT = 5000
PARALLEL_MIN_TEXTS = 4000

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class QuestionPlan:
    """Which questions feed the analysis: free-text fields long enough to analyse, and agreement scales."""

    text_question_ids: tuple[int, ...]
    agreement: tuple[tuple[int, dict], ...]

    @property
    def question_ids(self) -> list[int]:
        return list(self.text_question_ids) + [question_id for question_id, _ in self.agreement]


def question_plan(session: Session, consultation: Consultation) -> QuestionPlan:
    questions = session.scalars(
        select(Question)
        .join(Questionnaire, Questionnaire.id == Question.questionnaire_id)
        .where(Questionnaire.consultation_id == consultation.id)
        .order_by(Question.position)
    ).all()
    texts = tuple(
        question.id
        for question in questions
        if question.kind == "free_text"
        and (question.max_length is None or question.max_length >= MIN_TEXT_FIELD_LENGTH)
    )
    agreement = tuple(
        (question.id, dict(question.stance_mapping))
        for question in questions
        if question.kind == "agreement_scale" and question.stance_mapping
    )
    return QuestionPlan(text_question_ids=texts, agreement=agreement)


@dataclass(frozen=True)
class Inputs:
    text: str
    agreement_stance: str | None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _answer_text(text: str | None, value) -> str:
    if text:
        return text
    return value if isinstance(value, str) else ""


def load_inputs(session: Session, plan: QuestionPlan, response_ids: list[int]) -> dict[int, Inputs]:
    """Analysable text and mapped agreement stance for each response id (one query per chunk of ids)."""
    texts: dict[int, dict[int, str]] = {}
    agreement: dict[int, dict[int, object]] = {}
    question_ids = plan.question_ids
    text_ids = set(plan.text_question_ids)
    if question_ids:
        for chunk in _chunks(response_ids, BATCH_SIZE):
            rows = session.execute(
                select(Answer.response_id, Answer.question_id, Answer.text, Answer.value).where(
                    Answer.response_id.in_(chunk), Answer.question_id.in_(question_ids)
                )
            )
            for response_id, question_id, text, value in rows:
                if question_id in text_ids:
                    texts.setdefault(response_id, {})[question_id] = _answer_text(text, value)
                else:
                    agreement.setdefault(response_id, {})[question_id] = value
    result = {}
    for response_id in response_ids:
        parts = texts.get(response_id, {})
        text = "\n\n".join(
            parts[question_id].strip()
            for question_id in plan.text_question_ids
            if (parts.get(question_id) or "").strip()
        )
        stance = None
        answered = agreement.get(response_id, {})
        for question_id, mapping in plan.agreement:
            value = answered.get(question_id)
            if isinstance(value, str) and value in mapping:
                stance = mapping[value]
                break
        result[response_id] = Inputs(text=text, agreement_stance=stance)
    return result


def input_hash(inputs: Inputs, model_version: str) -> str:
    payload = "\x1f".join((model_version, inputs.agreement_stance or "", inputs.text))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------- models


@dataclass
class Models:
    """The fitted models of one consultation at one training-data fingerprint."""

    version: str
    codebook: EngineCodebook
    stance: StanceModel
    themes: ThemeModel | None
    reviewer_examples: int = 0
    agreement_examples: int = 0


_models_by_consultation: dict[int, Models] = {}
_models_lock = threading.Lock()


def signal_size(available: int) -> int:
    """How many agreement-signal responses to train on: 0 below MIN_SIGNAL, then geometric steps, capped."""
    if available < MIN_SIGNAL:
        return 0
    steps = int(math.log(available / MIN_SIGNAL) / math.log(SIGNAL_GROWTH) + 1e-9)
    return min(MAX_SIGNAL, int(MIN_SIGNAL * SIGNAL_GROWTH**steps))


def _reviewer_codings(session: Session, consultation: Consultation) -> list[tuple[int, str]]:
    rows = session.execute(
        select(ResponseAnalysis.response_id, ResponseAnalysis.coded_at)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(
            ResponseAnalysis.consultation_id == consultation.id,
            ResponseAnalysis.coded_by_user_id.is_not(None),
            Response.status == "active",
        )
        .order_by(ResponseAnalysis.response_id)
    ).all()
    return [(response_id, coded_at.isoformat() if coded_at else "") for response_id, coded_at in rows]


def _signal_candidates(session: Session, consultation: Consultation, plan: QuestionPlan, limit: int | None):
    """Uncoded active responses that answered an agreement question and a free-text question, earliest first."""
    if not plan.agreement or not plan.text_question_ids:
        return [] if limit is not None else 0
    agreement_ids = [question_id for question_id, _ in plan.agreement]
    answered_agreement = select(Answer.response_id).where(Answer.question_id.in_(agreement_ids))
    answered_text = select(Answer.response_id).where(
        Answer.question_id.in_(plan.text_question_ids), func.coalesce(Answer.text, "") != ""
    )
    coded = select(ResponseAnalysis.response_id).where(
        ResponseAnalysis.consultation_id == consultation.id, ResponseAnalysis.coded_by_user_id.is_not(None)
    )
    conditions = (
        Response.consultation_id == consultation.id,
        Response.status == "active",
        Response.id.in_(answered_agreement),
        Response.id.in_(answered_text),
        Response.id.not_in(coded),
    )
    if limit is None:
        return session.scalar(select(func.count(Response.id)).where(*conditions)) or 0
    return list(session.scalars(select(Response.id).where(*conditions).order_by(Response.id).limit(limit)))


def _codebook_fingerprint(codebook: EngineCodebook) -> str:
    return json.dumps(
        {
            "description": codebook.description,
            "stances": codebook.stances,
            "themes": [[t.key, t.label, t.description, list(t.examples)] for t in codebook.themes],
        },
        sort_keys=True,
    )


def get_models(session: Session, consultation: Consultation, plan: QuestionPlan | None = None) -> Models:
    """The consultation's models for its current training data, fitted on first use and cached in memory."""
    plan = plan or question_plan(session, consultation)
    codebook = engine_codebook(session, consultation)
    codings = _reviewer_codings(session, consultation)
    signal_count = signal_size(_signal_candidates(session, consultation, plan, None))
    fingerprint = json.dumps([PIPELINE_GENERATION, _codebook_fingerprint(codebook), codings, signal_count])
    version = f"p{PIPELINE_GENERATION}-{hashlib.sha1(fingerprint.encode()).hexdigest()[:16]}"
    with _models_lock:
        cached = _models_by_consultation.get(consultation.id)
        if cached is not None and cached.version == version:
            return cached
    models = _fit_models(session, consultation, plan, codebook, [rid for rid, _ in codings], signal_count, version)
    with _models_lock:
        _models_by_consultation[consultation.id] = models
    return models


def forget_models(consultation_id: int | None = None) -> None:
    """Drop cached models (all, or one consultation's); the next run refits them."""
    with _models_lock:
        if consultation_id is None:
            _models_by_consultation.clear()
        else:
            _models_by_consultation.pop(consultation_id, None)


def _fit_models(session, consultation, plan, codebook, coded_ids, signal_count, version) -> Models:
    stance_model = StanceModel(proposal=proposal_text(codebook))
    theme_model = ThemeModel(codebook) if codebook.themes else None
    texts: list[str] = []
    stances: list[str] = []
    weights: list[float] = []
    theme_texts: list[str] = []
    theme_sets: list[list[str]] = []
    if coded_ids:
        inputs = load_inputs(session, plan, coded_ids)
        coded_stances = dict(
            session.execute(
                select(ResponseAnalysis.response_id, ResponseAnalysis.stance).where(
                    ResponseAnalysis.response_id.in_(coded_ids)
                )
            ).all()
        )
        coded_themes: dict[int, list[str]] = {}
        for response_id, key in session.execute(
            select(ThemeAssignment.response_id, Theme.key)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(ThemeAssignment.response_id.in_(coded_ids), ThemeAssignment.source == "reviewer")
        ):
            coded_themes.setdefault(response_id, []).append(key)
        for response_id in coded_ids:
            text = inputs[response_id].text
            if not text:
                continue
            if coded_stances.get(response_id):
                texts.append(text)
                stances.append(coded_stances[response_id])
                weights.append(REVIEWER_WEIGHT)
            theme_texts.append(text)
            theme_sets.append(coded_themes.get(response_id, []))
    reviewer_examples = len(theme_texts)
    agreement_examples = 0
    if signal_count:
        candidates = _signal_candidates(session, consultation, plan, signal_count)
        for item in load_inputs(session, plan, candidates).values():
            if item.text and item.agreement_stance:
                texts.append(item.text)
                stances.append(item.agreement_stance)
                weights.append(1.0)
                agreement_examples += 1
    if texts:
        stance_model.fit(texts, stances, weights=weights)
    if theme_model is not None and theme_texts:
        theme_model.fit(theme_texts, theme_sets)
    return Models(
        version=version,
        codebook=codebook,
        stance=stance_model,
        themes=theme_model,
        reviewer_examples=reviewer_examples,
        agreement_examples=agreement_examples,
    )


# ---------------------------------------------------------------------------------------------- coding texts


@dataclass(frozen=True)
class Coded:
    """The machine's output for one text."""

    stance: str | None
    stance_confidence: float | None
    themes: dict[str, float]
    pii: bool
    abusive: bool
    redacted_text: str | None


def code_texts(stance_model: StanceModel, theme_model: ThemeModel | None, items: list[tuple[str, bool]]) -> list[Coded]:
    """Code (text, needs_stance) pairs; identical texts (template letters) are coded once."""
    unique: dict[str, int] = {}
    for text, _ in items:
        if text:
            unique.setdefault(text, len(unique))
    texts = list(unique)
    needing_stance = sorted({unique[text] for text, needs in items if text and needs})
    predicted = stance_model.predict([texts[i] for i in needing_stance]) if needing_stance else []
    stances = dict(zip(needing_stance, predicted, strict=True))
    themes = theme_model.predict(texts) if theme_model is not None and texts else [{} for _ in texts]
    flags = [detect_flags(text) for text in texts]
    redacted = [
        redact(text) if flag["pii"] or flag["abusive"] else text for text, flag in zip(texts, flags, strict=True)
    ]
    coded = []
    for text, needs in items:
        if not text:
            coded.append(Coded(None, None, {}, False, False, None))
            continue
        index = unique[text]
        stance, confidence = stances[index] if needs else (None, None)
        flag = flags[index]
        coded.append(Coded(stance, confidence, themes[index], flag["pii"], flag["abusive"], redacted[index]))
    return coded


_worker_models: tuple | None = None


def _init_worker(blob: bytes) -> None:
    global _worker_models
    _worker_models = pickle.loads(blob)


def _code_in_worker(items: list[tuple[str, bool]]) -> list[Coded]:
    stance_model, theme_model = _worker_models
    return code_texts(stance_model, theme_model, items)


def _pool(models: Models, workers: int, texts_to_code: int) -> ProcessPoolExecutor | None:
    if workers <= 1 or texts_to_code < PARALLEL_MIN_TEXTS or multiprocessing.current_process().daemon:
        return None
    blob = pickle.dumps((models.stance, models.themes))
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(blob,),
    )


# ---------------------------------------------------------------------------------------------- writing


@dataclass
class _Batch:
    response_ids: list[int]
    inputs: dict[int, Inputs]
    hashes: dict[int, str]
    existing: set[int]
    result: Future | list[Coded] | None = None


@dataclass
class RunSummary:
    consultation: str
    model_version: str
    responses: int = 0
    analysed: int = 0
    unchanged: int = 0
    reviewer_coded_kept: int = 0
    withdrawn_removed: int = 0
    campaigns: int | None = None
    reviewer_examples: int = 0
    agreement_examples: int = 0
    parallel_workers: int = 0
    timings: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "consultation": self.consultation,
            "model_version": self.model_version,
            "responses": self.responses,
            "analysed": self.analysed,
            "unchanged": self.unchanged,
            "reviewer_coded_kept": self.reviewer_coded_kept,
            "withdrawn_removed": self.withdrawn_removed,
            "campaigns": self.campaigns,
            "training": {"reviewer_codings": self.reviewer_examples, "agreement_answers": self.agreement_examples},
            "parallel_workers": self.parallel_workers,
            "seconds": dict(self.timings),
        }


_ra = ResponseAnalysis.__table__
_ta = ThemeAssignment.__table__
_events = CodingEvent.__table__


def _insert_ignoring_conflicts(session: Session, table):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        return insert(table)
    return dialect_insert(table).on_conflict_do_nothing()


def _write_batch(
    session: Session,
    consultation: Consultation,
    models: Models,
    batch: _Batch,
    coded: list[Coded],
    theme_ids: dict[str, int],
) -> int:
    """Write one batch with bulk statements; returns how many reviewer-coded responses were left alone."""
    moment = now()
    outputs: dict[int, tuple[str | None, str | None, float | None, Coded]] = {}
    for response_id, result in zip(batch.response_ids, coded, strict=True):
        agreement = batch.inputs[response_id].agreement_stance
        if agreement:
            outputs[response_id] = (agreement, "agreement", 1.0, result)
        elif result.stance:
            outputs[response_id] = (result.stance, "model", result.stance_confidence, result)
        else:
            outputs[response_id] = (None, None, None, result)
    new_rows, machine_rows, stance_rows = [], [], []
    for response_id, (stance, source, confidence, result) in outputs.items():
        analysed = {
            "input_hash": batch.hashes[response_id],
            "flag_pii": result.pii,
            "flag_abusive": result.abusive,
            "redacted_text": result.redacted_text,
        }
        if response_id in batch.existing:
            machine_rows.append({"b_id": response_id, **{f"b_{k}": v for k, v in analysed.items()}})
            stance_rows.append(
                {"b_id": response_id, "b_stance": stance, "b_source": source, "b_confidence": confidence}
            )
        else:
            new_rows.append(
                {
                    "response_id": response_id,
                    "consultation_id": consultation.id,
                    "stance": stance,
                    "stance_source": source,
                    "stance_confidence": confidence,
                    "model_version": models.version,
                    "analysed_at": moment,
                    **analysed,
                }
            )
    if machine_rows:
        session.execute(
            update(_ra)
            .where(_ra.c.response_id == bindparam("b_id"))
            .values(
                input_hash=bindparam("b_input_hash"),
                flag_pii=bindparam("b_flag_pii"),
                flag_abusive=bindparam("b_flag_abusive"),
                redacted_text=bindparam("b_redacted_text"),
                model_version=models.version,
                analysed_at=moment,
            ),
            machine_rows,
        )
        # The guard on coded_by_user_id keeps a reviewer's coding even if it landed after this batch was read.
        session.execute(
            update(_ra)
            .where(_ra.c.response_id == bindparam("b_id"), _ra.c.coded_by_user_id.is_(None))
            .values(
                stance=bindparam("b_stance"),
                stance_source=bindparam("b_source"),
                stance_confidence=bindparam("b_confidence"),
            ),
            stance_rows,
        )
    if new_rows:
        session.execute(_insert_ignoring_conflicts(session, _ra), new_rows)
    # Re-read who is reviewer-coded now that this transaction holds the rows it wrote.
    ids = batch.response_ids
    coded_now: set[int] = set()
    for chunk in _chunks(ids, BATCH_SIZE):
        coded_now.update(
            session.scalars(
                select(_ra.c.response_id).where(_ra.c.response_id.in_(chunk), _ra.c.coded_by_user_id.is_not(None))
            )
        )
    machine_ids = [response_id for response_id in ids if response_id not in coded_now]
    for chunk in _chunks(machine_ids, BATCH_SIZE):
        session.execute(delete(_ta).where(_ta.c.response_id.in_(chunk), _ta.c.source == "machine"))
    assignments = [
        {
            "response_id": response_id,
            "theme_id": theme_ids[key],
            "confidence": confidence,
            "source": "machine",
            "assigned_by_user_id": None,
            "assigned_at": moment,
        }
        for response_id in machine_ids
        for key, confidence in outputs[response_id][3].themes.items()
        if key in theme_ids
    ]
    if assignments:
        session.execute(insert(_ta), assignments)
    previous = latest_machine_outputs(session, ids)
    events = []
    for response_id in ids:
        stance, _, _, result = outputs[response_id]
        output = (stance, sorted(key for key in result.themes if key in theme_ids))
        if output != previous.get(response_id, (None, [])):
            events.append(
                {
                    "response_id": response_id,
                    "source": "machine",
                    "user_id": None,
                    "stance": output[0],
                    "themes": output[1],
                    "note": None,
                    "model_version": models.version,
                    "occurred_at": moment,
                }
            )
    if events:
        session.execute(insert(_events), events)
    return len(coded_now & set(ids))


def _remove_withdrawn(session: Session, consultation: Consultation, scope: list[int] | None) -> int:
    statement = (
        select(ResponseAnalysis.response_id)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(ResponseAnalysis.consultation_id == consultation.id, Response.status != "active")
    )
    withdrawn: list[int] = []
    if scope is None:
        withdrawn = list(session.scalars(statement))
    else:
        for chunk in _chunks(scope, BATCH_SIZE):
            withdrawn.extend(session.scalars(statement.where(Response.id.in_(chunk))))
    for chunk in _chunks(withdrawn, BATCH_SIZE):
        session.execute(delete(_ta).where(_ta.c.response_id.in_(chunk)))
        session.execute(delete(_ra).where(_ra.c.response_id.in_(chunk)))
    return len(withdrawn)


def _active_ids(session: Session, consultation: Consultation, scope: list[int] | None) -> list[int]:
    statement = select(Response.id).where(Response.consultation_id == consultation.id, Response.status == "active")
    if scope is None:
        return list(session.scalars(statement.order_by(Response.id)))
    ids: list[int] = []
    for chunk in _chunks(sorted(set(scope)), BATCH_SIZE):
        ids.extend(session.scalars(statement.where(Response.id.in_(chunk)).order_by(Response.id)))
    return ids


def _existing_state(session: Session, response_ids: list[int]) -> dict[int, tuple[str | None, bool]]:
    rows = session.execute(
        select(ResponseAnalysis.response_id, ResponseAnalysis.input_hash, ResponseAnalysis.coded_by_user_id).where(
            ResponseAnalysis.response_id.in_(response_ids)
        )
    )
    return {response_id: (hash_, coded_by is not None) for response_id, hash_, coded_by in rows}


# ---------------------------------------------------------------------------------------------- campaigns


def group_campaigns(texts: Iterable[tuple[int, str]]) -> list[dict]:
    """Identical and near-identical texts, grouped (pure computation, no database)."""
    items = [(response_id, text) for response_id, text in texts if len(text.split()) >= MIN_CAMPAIGN_WORDS]
    return find_campaigns(items, threshold=CAMPAIGN_THRESHOLD, min_size=2)


def refresh_campaigns(session: Session, consultation: Consultation, groups: list[dict]) -> int:
    """Replace the consultation's campaigns with `groups`; returns how many campaigns there are."""
    existing = {
        campaign.key: campaign
        for campaign in session.scalars(select(Campaign).where(Campaign.consultation_id == consultation.id))
    }
    session.execute(
        update(_ra)
        .where(_ra.c.consultation_id == consultation.id, _ra.c.campaign_id.is_not(None))
        .values(campaign_id=None)
    )
    keep = {group["key"] for group in groups}
    for key, campaign in existing.items():
        if key not in keep:
            session.delete(campaign)
    moment = now()
    campaigns = {}
    for group in groups:
        campaign = existing.get(group["key"])
        if campaign is None:
            campaign = Campaign(consultation_id=consultation.id, key=group["key"], detected_at=moment)
            session.add(campaign)
        campaign.size = group["size"]
        # Campaign samples are shown to reviewers and in reports: only ever the redacted text.
        campaign.sample_text = redact(group["sample_text"])
        campaigns[group["key"]] = campaign
    session.flush()
    members = [
        {"b_id": response_id, "b_campaign": campaigns[group["key"]].id}
        for group in groups
        for response_id in group["member_ids"]
    ]
    if members:
        session.execute(
            update(_ra).where(_ra.c.response_id == bindparam("b_id")).values(campaign_id=bindparam("b_campaign")),
            members,
        )
    return len(groups)


# ---------------------------------------------------------------------------------------------- the run


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

    One run per consultation at a time (analysis/locking.py): a second waits up to `lock_wait` seconds."""
    with analysis_lock(session, consultation.id, wait=lock_wait):
        return _analyse_holding_lock(
            session, consultation, response_ids=response_ids, force=force, workers=workers, progress=progress
        )


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
    models = get_models(session, consultation, plan)
    theme_ids = {
        key: theme_id
        for key, theme_id in session.execute(
            select(Theme.key, Theme.id)
            .join(Codebook, Codebook.id == Theme.codebook_id)
            .where(Theme.is_active.is_(True), Codebook.consultation_id == consultation.id)
        )
    }
    summary = RunSummary(
        consultation=consultation.slug,
        model_version=models.version,
        reviewer_examples=models.reviewer_examples,
        agreement_examples=models.agreement_examples,
    )
    summary.withdrawn_removed = _remove_withdrawn(session, consultation, response_ids)
    active = _active_ids(session, consultation, response_ids)
    summary.responses = len(active)
    done = 0
    if progress:
        progress(done, len(active))
    batches: list[_Batch] = []
    all_texts: list[tuple[int, str]] = []
    for ids in _chunks(active, BATCH_SIZE):
        inputs = load_inputs(session, plan, ids)
        state = _existing_state(session, ids)
        hashes = {response_id: input_hash(inputs[response_id], models.version) for response_id in ids}
        todo = [rid for rid in ids if force or state.get(rid, (None, False))[0] != hashes[rid]]
        all_texts.extend((rid, inputs[rid].text) for rid in ids if inputs[rid].text)
        skipped = len(ids) - len(todo)
        summary.unchanged += skipped
        done += skipped
        if progress and skipped:
            progress(done, len(active))
        if todo:
            batches.append(
                _Batch(
                    response_ids=todo,
                    inputs={rid: inputs[rid] for rid in todo},
                    hashes={rid: hashes[rid] for rid in todo},
                    existing={rid for rid in todo if rid in state},
                )
            )
    to_code = sum(len(batch.response_ids) for batch in batches)
    refresh = bool(batches or summary.withdrawn_removed or force)
    if response_ids is not None and refresh:
        # A few responses came in: regroup only when the whole consultation is small enough to do it now.
        refresh = _count_active(session, consultation) <= CAMPAIGN_INLINE_LIMIT
        if refresh:
            all_texts = _all_texts(session, consultation, plan)
    loaded_at = time.perf_counter()
    summary.timings["load"] = round(loaded_at - started, 2)
    pool = _pool(models, workers, to_code)
    try:
        groups_future: Future | None = None
        if pool is not None and refresh:
            # Grouping campaigns does not depend on coding: one worker starts on it while the others code.
            groups_future = pool.submit(group_campaigns, all_texts)
        for batch in batches:
            items = [(batch.inputs[rid].text, batch.inputs[rid].agreement_stance is None) for rid in batch.response_ids]
            if pool is None:
                batch.result = items
            else:
                # Smaller pieces than a batch keep every worker busy until the end.
                pieces = list(_chunks(items, max(500, math.ceil(len(items) / workers))))
                batch.result = [pool.submit(_code_in_worker, piece) for piece in pieces]
        summary.parallel_workers = workers if pool is not None else 0
        for batch in batches:
            if pool is None:
                coded = code_texts(models.stance, models.themes, batch.result)
            else:
                coded = [item for future in batch.result for item in future.result()]
            summary.reviewer_coded_kept += _write_batch(session, consultation, models, batch, coded, theme_ids)
            session.commit()
            summary.analysed += len(batch.response_ids)
            done += len(batch.response_ids)
            if progress:
                progress(done, len(active))
        coded_at = time.perf_counter()
        summary.timings["code_and_write"] = round(coded_at - loaded_at, 2)
        if refresh:
            groups = groups_future.result() if groups_future is not None else group_campaigns(all_texts)
            summary.campaigns = refresh_campaigns(session, consultation, groups)
        session.commit()
        summary.timings["campaigns"] = round(time.perf_counter() - coded_at, 2)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    summary.timings["total"] = round(time.perf_counter() - started, 2)
    return summary


def _count_active(session: Session, consultation: Consultation) -> int:
    return (
        session.scalar(
            select(func.count(Response.id)).where(
                Response.consultation_id == consultation.id, Response.status == "active"
            )
        )
        or 0
    )


def _all_texts(session: Session, consultation: Consultation, plan: QuestionPlan) -> list[tuple[int, str]]:
    ids = _active_ids(session, consultation, None)
    texts: list[tuple[int, str]] = []
    for chunk in _chunks(ids, BATCH_SIZE):
        texts.extend((rid, item.text) for rid, item in load_inputs(session, plan, chunk).items() if item.text)
    return texts


def consultations_of(session: Session, response_ids: list[int]) -> dict[int, list[int]]:
    """Group response ids by consultation id."""
    grouped: dict[int, list[int]] = {}
    for chunk in _chunks(sorted(set(response_ids)), BATCH_SIZE):
        for response_id, consultation_id in session.execute(
            select(Response.id, Response.consultation_id).where(Response.id.in_(chunk))
        ):
            grouped.setdefault(consultation_id, []).append(response_id)
    return grouped
