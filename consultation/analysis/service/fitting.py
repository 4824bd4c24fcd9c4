"""The consultation's fitted models, and their cache.

The models learn from the consultation's own signal: every reviewer coding (stance and themes, weighted
`REVIEWER_WEIGHT`) and, for stance, responses that answered both the agreement question and the free text.
They are fitted once per training-data fingerprint (codebook, reviewer codings, size of the agreement signal)
and kept in memory per consultation, in each process; `model_version` names the fingerprint.
"""

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultation.analysis.engine import CodebookSpec, StanceModel, ThemeModel
from consultation.analysis.engine.scoring import caches_for, proposal_text
from consultation.analysis.engine.zero_shot import theme_texts
from consultation.analysis.models import ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service import tuning
from consultation.analysis.service.codebook import engine_codebook
from consultation.analysis.service.embeddings import StoredVectors, preload_texts
from consultation.analysis.service.inputs import QuestionPlan, load_inputs, question_plan
from consultation.analysis.service.tuned_store import load_encoder, tuned_tag
from consultation.catalog.models import Consultation
from consultation.intake.models import Answer, Response


@dataclass
class Models:
    """The fitted models of one consultation at one training-data fingerprint."""

    version: str
    codebook: CodebookSpec
    stance: StanceModel
    themes: ThemeModel | None
    reviewer_examples: int = 0
    agreement_examples: int = 0
    # The fingerprint without the agreement signal's size: what a run for a few new responses checks.
    codings_key: str = ""
    # The models' embedding cache, in front of the `text_embeddings` table (empty between runs).
    vectors: StoredVectors = field(default_factory=StoredVectors)
    # The codebook's texts the zero-shot themes embed (on first use): preloaded with every batch, so never re-embedded.
    described: list[str] = field(default_factory=list)


_models_by_consultation: dict[int, Models] = {}
_models_lock = threading.Lock()


def signal_size(available: int) -> int:
    """How many agreement-signal responses to train on: 0 below MIN_SIGNAL, then geometric steps, capped."""
    if available < tuning.MIN_SIGNAL:
        return 0
    steps = int(math.log(available / tuning.MIN_SIGNAL) / math.log(tuning.SIGNAL_GROWTH) + 1e-9)
    return min(tuning.MAX_SIGNAL, int(tuning.MIN_SIGNAL * tuning.SIGNAL_GROWTH**steps))


def reviewer_codings(session: Session, consultation: Consultation) -> list[tuple[int, str]]:
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


def _signal_limit() -> int:
    """The smallest count at which `signal_size` reaches MAX_SIGNAL: counting further changes nothing."""
    limit = tuning.MIN_SIGNAL
    while signal_size(limit) < tuning.MAX_SIGNAL:
        limit = math.ceil(limit * tuning.SIGNAL_GROWTH)
    return limit


def _signal_candidates(session: Session, consultation: Consultation, plan: QuestionPlan, limit: int | None):
    """Uncoded active responses that answered an agreement question and a free-text question, earliest first.

    With `limit` None, how many there are, counted only up to the size where more would not change the model:
    correlated EXISTS lookups on indexes, so the count stops early instead of reading every answer.
    """
    if not plan.agreement or not plan.text_question_ids:
        return [] if limit is not None else 0
    agreement_ids = [question_id for question_id, _ in plan.agreement]
    answered_agreement = (
        select(Answer.id).where(Answer.response_id == Response.id, Answer.question_id.in_(agreement_ids)).exists()
    )
    answered_text = (
        select(Answer.id)
        .where(
            Answer.response_id == Response.id,
            Answer.question_id.in_(plan.text_question_ids),
            func.coalesce(Answer.text, "") != "",
        )
        .exists()
    )
    coded = (
        select(ResponseAnalysis.response_id)
        .where(ResponseAnalysis.response_id == Response.id, ResponseAnalysis.coded_by_user_id.is_not(None))
        .exists()
    )
    conditions = (
        Response.consultation_id == consultation.id,
        Response.status == "active",
        answered_agreement,
        answered_text,
        ~coded,
    )
    if limit is None:
        first = select(Response.id).where(*conditions).limit(_signal_limit()).subquery()
        return session.scalar(select(func.count()).select_from(first)) or 0
    return list(session.scalars(select(Response.id).where(*conditions).order_by(Response.id).limit(limit)))


def _codebook_fingerprint(codebook: CodebookSpec) -> str:
    return json.dumps(
        {
            "description": codebook.description,
            "stances": codebook.stances,
            "themes": [[t.key, t.label, t.description, list(t.examples)] for t in codebook.themes],
        },
        sort_keys=True,
    )


def get_models(
    session: Session, consultation: Consultation, plan: QuestionPlan | None = None, *, recount_signal: bool = True
) -> Models:
    """The consultation's models for its current training data, fitted on first use and cached in memory.

    Without `recount_signal` (a run for a few new responses) the cached models are kept while the codebook and
    the reviewer codings are unchanged, without counting the agreement signal: that count reads many responses,
    and a new response adds at most one to it. The next full run, coding or codebook change recounts it.
    """
    plan = plan or question_plan(session, consultation)
    codebook = engine_codebook(session, consultation)
    codings = reviewer_codings(session, consultation)
    tag = tuned_tag(session, consultation.id, codebook)
    codings_key = json.dumps([tuning.PIPELINE_GENERATION, _codebook_fingerprint(codebook), codings, tag])
    with _models_lock:
        cached = _models_by_consultation.get(consultation.id)
        if cached is not None and not recount_signal and cached.codings_key == codings_key:
            return cached
    signal_count = signal_size(_signal_candidates(session, consultation, plan, None))
    fingerprint = json.dumps([tuning.PIPELINE_GENERATION, _codebook_fingerprint(codebook), codings, signal_count, tag])
    version = f"p{tuning.PIPELINE_GENERATION}-{hashlib.sha1(fingerprint.encode()).hexdigest()[:16]}"
    with _models_lock:
        cached = _models_by_consultation.get(consultation.id)
        if cached is not None and cached.version == version:
            return cached
    coded_ids = [rid for rid, _ in codings]
    encoder = load_encoder(session, consultation.id, tag)
    models = _fit_models(session, consultation, plan, codebook, coded_ids, signal_count, version, encoder)
    models.codings_key = codings_key
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


def reviewer_examples_of(session: Session, plan: QuestionPlan, coded_ids: list[int]) -> list[tuple[str, str, list]]:
    """(text, stance or None, theme keys) of each reviewer-coded response with text, in the order of `coded_ids`."""
    if not coded_ids:
        return []
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
    return [
        (inputs[rid].text, coded_stances.get(rid), coded_themes.get(rid, [])) for rid in coded_ids if inputs[rid].text
    ]


def _fit_models(session, consultation, plan, codebook, coded_ids, signal_count, version, encoder) -> Models:
    vectors = StoredVectors()
    stance_cache, theme_cache = caches_for(encoder, vectors)
    stance_model = StanceModel(proposal=proposal_text(codebook), cache=stance_cache)
    theme_model = ThemeModel(codebook, cache=theme_cache) if codebook.themes else None
    texts: list[str] = []
    stances: list[str] = []
    weights: list[float] = []
    coded_theme_texts: list[str] = []
    theme_sets: list[list[str]] = []
    for text, stance, themes in reviewer_examples_of(session, plan, coded_ids):
        if stance:
            texts.append(text)
            stances.append(stance)
            weights.append(tuning.REVIEWER_WEIGHT)
        coded_theme_texts.append(text)
        theme_sets.append(themes)
    reviewer_examples = len(coded_theme_texts)
    agreement_examples = 0
    if signal_count:
        candidates = _signal_candidates(session, consultation, plan, signal_count)
        for item in load_inputs(session, plan, candidates).values():
            if item.text and item.agreement_stance:
                texts.append(item.text)
                stances.append(item.agreement_stance)
                weights.append(1.0)
                agreement_examples += 1
    described = theme_texts(codebook) + [t.label for t in codebook.themes]
    described += [example for theme in codebook.themes for example in theme.examples]
    preload_texts(session, vectors, [*texts, *coded_theme_texts, *described])
    if texts:
        stance_model.fit(texts, stances, weights=weights)
    if theme_model is not None and coded_theme_texts:
        theme_model.fit(coded_theme_texts, theme_sets)
    vectors.save(session)
    vectors.clear()
    return Models(
        version=version,
        codebook=codebook,
        stance=stance_model,
        themes=theme_model,
        reviewer_examples=reviewer_examples,
        agreement_examples=agreement_examples,
        vectors=vectors,
        described=described,
    )
