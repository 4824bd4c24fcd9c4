"""Which responses a reviewer should code next: those whose coding would teach the model most.

The ranking is the engine's (`engine.active`): a coding teaches most where the machine is unsure (its stance
probabilities are close, or a theme's score sits near the line where it is assigned) and where the response is
unlike anything coded so far; picking greedily, each pick also counts as "coded" for the next, so twenty picks are
twenty different kinds of response, not twenty copies of one template letter. This module chooses the candidates,
gives the engine their vectors, and says why each pick was made.

The candidates are a bounded pool, so the model's work does not grow with the consultation: the responses whose
stored stance confidence is lowest, and an even spread of the rest (themes can be unsure where stance is not),
chosen in one pass of the database over the consultation's analysis rows. The pool
is re-scored with the consultation's current models; closeness uses the stored sentence vectors when every text
has one (the background run stores them), else TF-IDF word vectors of the same texts.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import BigInteger, cast, func, literal, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import visible_borough_ids
from consultation.analysis.engine.active import (
    rank_for_coding,
    representativeness,
    stance_uncertainty,
    theme_uncertainty,
    usefulness,
)
from consultation.analysis.engine.embedding import embed, text_key
from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import tuning
from consultation.analysis.service.embeddings import preload_texts
from consultation.analysis.service.fitting import Models, get_models
from consultation.analysis.service.inputs import load_inputs, question_plan
from consultation.catalog.models import Station
from consultation.catalog.service import get_consultation
from consultation.intake.models import Response


@dataclass
class Candidate:
    response_id: int
    reference: str
    station: str
    text: str
    redacted_text: str


def novelty_of_picks(picks: list[int], vectors: np.ndarray, coded_vectors: np.ndarray) -> list[float]:
    """For each pick in order: 1 minus its closest similarity to anything coded or picked before it."""
    result = []
    for position, index in enumerate(picks):
        seen = [coded_vectors] if len(coded_vectors) else []
        if position:
            seen.append(vectors[picks[:position]])
        closest = max((float(np.max(block @ vectors[index])) for block in seen), default=0.0)
        result.append(1.0 - min(1.0, max(0.0, closest)))
    return result


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _candidates(session: Session, consultation_id: int, boroughs: set[int] | None) -> list[tuple[int, str, str, str]]:
    """The pool: lowest stance confidence first, then an even spread by id; uncoded, active, machine-analysed."""
    conditions = [
        ResponseAnalysis.consultation_id == consultation_id,
        ResponseAnalysis.coded_by_user_id.is_(None),
        ResponseAnalysis.redacted_text.is_not(None),
        Response.status == "active",
    ]
    if boroughs is not None:
        conditions.append(Station.borough_id.in_(boroughs or {-1}))
    base = (
        select(Response.id, Response.reference, Station.name, ResponseAnalysis.redacted_text)
        .join(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .join(Station, Station.id == Response.station_id)
        .where(*conditions)
    )
    least_sure = session.execute(
        base.order_by(func.coalesce(ResponseAnalysis.stance_confidence, 1.0), Response.id).limit(
            tuning.NEXT_TO_CODE_POOL // 2
        )
    ).all()
    # An even spread without ORDER BY random(): a fixed multiplicative hash of the id, the same on every database
    # (64-bit arithmetic, so PostgreSQL's 32-bit integers do not overflow).
    scrambled = (cast(Response.id, BigInteger) * literal(2654435761, BigInteger)) % literal(4294967291, BigInteger)
    spread = session.execute(base.order_by(scrambled, Response.id).limit(tuning.NEXT_TO_CODE_POOL // 2)).all()
    seen: dict[int, tuple] = {}
    for row in [*least_sure, *spread]:
        seen.setdefault(row[0], tuple(row))
    return list(seen.values())


def _coded_ids(session: Session, consultation_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ResponseAnalysis.response_id)
            .where(
                ResponseAnalysis.consultation_id == consultation_id,
                ResponseAnalysis.coded_by_user_id.is_not(None),
            )
            .order_by(ResponseAnalysis.coded_at.desc())
            .limit(tuning.NEXT_TO_CODE_CODED_LIMIT)
        )
    )


def _sentence_vectors(
    session: Session, models: Models, texts: list[str], coded_texts: list[str]
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Stored sentence vectors of the candidates (embedding at most a few missing ones here) and of the coded texts.

    The models' store keeps them (and the learning vectors beside them) until :func:`next_to_code` has scored the
    candidates, which read the learning vectors from it, and then saves what was new and lets them go.

    Returns the candidates kept (those with a vector), their vectors and the coded texts' vectors. The background
    run stores a vector for every text it codes, so misses are rare: responses coded before the model was installed.
    """
    store = models.vectors
    preload_texts(session, store, texts + coded_texts + models.described)
    missing = [i for i, text in enumerate(texts) if text_key(text) not in store]
    keep = [i for i in range(len(texts)) if i not in set(missing[tuning.NEXT_TO_CODE_EMBED_LIMIT :])]
    kept_texts = [texts[i] for i in keep]
    vectors = embed(kept_texts, cache=store) if kept_texts else np.zeros((0, 1))
    coded = [text for text in coded_texts if text_key(text) in store]
    coded_vectors = embed(coded, cache=store) if coded else np.zeros((0, vectors.shape[1]))
    return keep, np.asarray(vectors, dtype=np.float64), np.asarray(coded_vectors, dtype=np.float64)


def _word_vectors(texts: list[str], coded_texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Unit TF-IDF rows, standing in for sentence vectors where the model is not installed."""
    matrix = _unit_rows(TfidfVectorizer(sublinear_tf=True).fit_transform(texts + coded_texts).toarray())
    return matrix[: len(texts)], matrix[len(texts) :]


def _why(
    labels: tuple, stance_probabilities: np.ndarray, theme_scores: dict[str, float], novelty: float, closest: str
) -> str:
    order = np.argsort(stance_probabilities)[::-1]
    first, second = order[0], order[1]
    parts = []
    if stance_probabilities[first] - stance_probabilities[second] < 0.3:
        parts.append(
            f"unsure of the stance ({labels[first]} {stance_probabilities[first]:.2f}, "
            f"{labels[second]} {stance_probabilities[second]:.2f})"
        )
    if theme_scores:
        listed = ", ".join(f"{key} {score:.2f}" for key, score in theme_scores.items())
        parts.append(f"unsure of {'a theme' if len(theme_scores) == 1 else 'themes'} ({listed})")
    reason = "The machine is " + " and ".join(parts) if parts else "The machine is fairly sure of this one"
    return f"{reason}; {closest} so far (novelty {novelty:.2f})."


def _machine_scores(models: Models, texts: list[str], model_vectors) -> tuple[np.ndarray, np.ndarray]:
    """Stance probabilities (n, 3) and theme scores (n, k; k = 0 without a codebook) of the candidates."""
    stance = np.asarray(models.stance.predict_proba(texts), dtype=np.float64)
    if models.themes is None:
        return stance, np.zeros((len(texts), 0))
    return stance, np.asarray(models.themes.predict_scores_matrix(texts, model_vectors), dtype=np.float64)


def next_to_code(session: Session, user: User, slug: str, n: int) -> dict:
    """Up to `n` uncoded responses, most useful to code first, each with its scores and the reason in words."""
    consultation = get_consultation(session, slug)
    boroughs = visible_borough_ids(user)
    rows = _candidates(session, consultation.id, boroughs)
    plan = question_plan(session, consultation)
    candidate_inputs = load_inputs(session, plan, [row[0] for row in rows])
    candidates = [
        Candidate(row[0], row[1], row[2], candidate_inputs[row[0]].text, row[3])
        for row in rows
        if candidate_inputs[row[0]].text
    ]
    coded_inputs = load_inputs(session, plan, _coded_ids(session, consultation.id))
    coded_texts = [item.text for item in coded_inputs.values() if item.text]
    result = {
        "consultation": slug,
        "pool": len(candidates),
        "coded": len(coded_texts),
        "closeness": None,
        "waiting_for_vectors": 0,
        "items": [],
    }
    if not candidates:
        return result
    models = get_models(session, consultation, plan)
    candidates, vectors, coded_vectors, model_vectors = _closeness_vectors(
        session, models, candidates, coded_texts, result
    )
    result["pool"] = len(candidates)
    texts = [candidate.text for candidate in candidates]
    try:
        stance_probabilities, scores = _machine_scores(models, texts, model_vectors)
        if models.stance.use_model:
            models.vectors.save(session)  # only after scoring succeeded: a failure is what the caller should see
    finally:
        models.vectors.clear()
    doubt = _Doubt.of(models, stance_probabilities, scores)
    representative = representativeness(vectors)
    picks = rank_for_coding(doubt.overall, vectors, coded_vectors, n=n, representative=representative)
    for index, novelty in zip(picks, novelty_of_picks(picks, vectors, coded_vectors), strict=True):
        score = float(usefulness(doubt.overall[index], representative[index], novelty))
        scored = {
            "score": round(score, 4),
            "uncertainty": round(float(doubt.overall[index]), 4),
            "stance_uncertainty": round(float(doubt.stance[index]), 4),
            "theme_uncertainty": round(float(doubt.themes[index]), 4),
            "novelty": round(novelty, 4),
            "representative": round(float(representative[index]), 4),
        }
        unsure_themes = doubt.unsure_themes(index, scores)
        labels, probabilities = models.stance.labels, stance_probabilities[index]
        result["items"].append(_item(candidates[index], labels, probabilities, scored, unsure_themes, novelty))
    return result


def _closeness_vectors(
    session: Session, models: Models, candidates: list[Candidate], coded_texts: list[str], result: dict
) -> tuple[list[Candidate], np.ndarray, np.ndarray, np.ndarray | None]:
    """The candidates kept, their vectors and the coded texts' for closeness, and the vectors the models score with
    (None for word vectors); notes in `result` which closeness it is and how many candidates wait for a vector."""
    if models.stance.use_model:
        keep, vectors, coded_vectors = _sentence_vectors(session, models, [c.text for c in candidates], coded_texts)
        result["waiting_for_vectors"] = len(candidates) - len(keep)
        result["closeness"] = "sentence_model"
        return [candidates[i] for i in keep], vectors, coded_vectors, vectors
    vectors, coded_vectors = _word_vectors([c.text for c in candidates], coded_texts)
    result["closeness"] = "words"
    return candidates, vectors, coded_vectors, None


@dataclass
class _Doubt:
    """How unsure the machine is of each candidate: of its stance, of its themes, and overall."""

    stance: np.ndarray
    themes: np.ndarray
    overall: np.ndarray
    theme_keys: list[str]
    per_theme: np.ndarray  # 1 on the line where a theme is assigned, 0 at full certainty either way

    @classmethod
    def of(cls, models: Models, stance_probabilities: np.ndarray, scores: np.ndarray) -> "_Doubt":
        stance_doubt = stance_uncertainty(stance_probabilities)
        count = len(stance_probabilities)
        if models.themes is None:
            return cls(stance_doubt, np.zeros(count), stance_doubt, [], np.zeros((count, 0)))
        line = float(models.themes.threshold)
        theme_doubt = theme_uncertainty(scores, line)
        per_theme = 1.0 - np.abs(scores - line) / max(line, 1.0 - line)
        return cls(stance_doubt, theme_doubt, (stance_doubt + theme_doubt) / 2, list(models.themes.keys), per_theme)

    def unsure_themes(self, index: int, scores: np.ndarray) -> dict[str, float]:
        """Up to three themes the machine is unsure of for this candidate, with their scores: named in `why`."""
        return {
            self.theme_keys[j]: round(float(scores[index, j]), 2)
            for j in np.argsort(self.per_theme[index])[::-1][:3]
            if self.per_theme[index, j] >= tuning.NEXT_TO_CODE_UNSURE
        }


def _item(
    candidate: Candidate,
    labels: tuple,
    stance_probabilities: np.ndarray,
    scores: dict,
    unsure_themes: dict,
    novelty: float,
) -> dict:
    """One pick as the answer shows it, with the reason in words."""
    closest = (
        "unlike anything coded"
        if novelty >= 0.5
        else "somewhat like a response coded"
        if novelty >= 0.2
        else "close to a response coded"
    )
    return {
        "reference": candidate.reference,
        "station": candidate.station,
        "text": candidate.redacted_text,
        "machine_stance": labels[int(np.argmax(stance_probabilities))],
        "scores": scores,
        "uncertain_themes": unsure_themes,
        "why": _why(labels, stance_probabilities, unsure_themes, novelty, closest),
    }
