"""Which responses a reviewer should code next: those whose coding would teach the model most.

A coding teaches most where the machine is unsure (its stance probabilities are close, or a theme's score sits
near the line where it is assigned) and where the response is unlike anything coded so far (the model has seen
nothing near it). Picking greedily, each pick also counts as "coded" for the next, so twenty picks are twenty
different kinds of response, not twenty copies of one template letter.

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
from consultation.accounts.service import visible_borough_ids
from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import tuning
from consultation.analysis.service.embeddings import StoredVectors, text_key
from consultation.analysis.service.fitting import get_models
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


def rank_for_coding(
    uncertainty: np.ndarray, vectors: np.ndarray, coded_vectors: np.ndarray, n: int, weight: float
) -> list[tuple[int, float, float]]:
    """Greedy picks of (index, novelty, score): score = weight * uncertainty + (1 - weight) * novelty.

    `vectors` and `coded_vectors` are unit rows; novelty is 1 minus the closest cosine to anything coded or
    already picked, so each pick makes its near neighbours less attractive.
    """
    if len(uncertainty) == 0:
        return []
    closest = np.zeros(len(uncertainty), dtype=np.float64)
    if len(coded_vectors):
        closest = np.clip((vectors @ coded_vectors.T).max(axis=1), 0.0, 1.0)
    available = np.ones(len(uncertainty), dtype=bool)
    picks = []
    for _ in range(min(n, len(uncertainty))):
        novelty = 1.0 - closest
        score = np.where(available, weight * uncertainty + (1.0 - weight) * novelty, -np.inf)
        best = int(np.argmax(score))
        picks.append((best, float(novelty[best]), float(score[best])))
        available[best] = False
        closest = np.maximum(closest, np.clip(vectors @ vectors[best], 0.0, 1.0))
    return picks


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


def _vectors(session: Session, texts: list[str], coded_texts: list[str]) -> tuple[np.ndarray, np.ndarray, str]:
    """Unit vectors of the pool and of the coded texts: stored sentence vectors if all exist, else TF-IDF."""
    everything = texts + coded_texts
    stored = StoredVectors(session)
    if everything:
        keys = [text_key(text) for text in everything]
        if stored.preload(keys) == len(set(keys)):
            matrix = _unit_rows(np.stack([stored[key] for key in keys]))
            return matrix[: len(texts)], matrix[len(texts) :], "sentence_model"
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
    matrix = vectorizer.fit_transform(everything or [""]).toarray() if everything else np.zeros((0, 1))
    matrix = _unit_rows(matrix) if len(matrix) else matrix
    return matrix[: len(texts)], matrix[len(texts) :], "words"


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
    return f"{reason}; {closest} to anything coded so far (novelty {novelty:.2f})."


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
        "items": [],
    }
    if not candidates:
        return result
    models = get_models(session, consultation, plan)
    texts = [candidate.text for candidate in candidates]
    stance_probabilities = np.asarray(models.stance.predict_proba(texts), dtype=np.float64)
    ordered = np.sort(stance_probabilities, axis=1)[:, ::-1]
    stance_uncertainty = 1.0 - (ordered[:, 0] - ordered[:, 1])
    theme_keys: list[str] = []
    theme_uncertainty = np.zeros(len(texts))
    per_theme = np.zeros((len(texts), 0))
    theme_scores = per_theme
    if models.themes is not None:
        theme_keys = [theme.key for theme in models.codebook.themes]
        scores = np.asarray(models.themes.predict_scores_matrix(texts), dtype=np.float64)
        line = float(getattr(models.themes, "threshold", 0.5))
        # 1 on the line where a theme is assigned, 0 at full certainty either way.
        per_theme = 1.0 - np.abs(scores - line) / max(line, 1.0 - line)
        theme_uncertainty = per_theme.max(axis=1) if per_theme.shape[1] else theme_uncertainty
        theme_scores = scores
    uncertainty = np.maximum(stance_uncertainty, theme_uncertainty)
    vectors, coded_vectors, closeness = _vectors(session, texts, coded_texts)
    result["closeness"] = closeness
    for index, novelty, score in rank_for_coding(
        uncertainty, vectors, coded_vectors, n, tuning.NEXT_TO_CODE_UNCERTAINTY_WEIGHT
    ):
        candidate = candidates[index]
        unsure_themes = {
            theme_keys[j]: round(float(theme_scores[index, j]), 2)
            for j in np.argsort(per_theme[index])[::-1][:3]
            if per_theme[index, j] >= tuning.NEXT_TO_CODE_UNSURE
        }
        closest = "unlike" if novelty >= 0.5 else "somewhat like" if novelty >= 0.2 else "close"
        result["items"].append(
            {
                "reference": candidate.reference,
                "station": candidate.station,
                "text": candidate.redacted_text,
                "machine_stance": models.stance.labels[int(np.argmax(stance_probabilities[index]))],
                "scores": {
                    "score": round(score, 4),
                    "uncertainty": round(float(uncertainty[index]), 4),
                    "stance_uncertainty": round(float(stance_uncertainty[index]), 4),
                    "theme_uncertainty": round(float(theme_uncertainty[index]), 4),
                    "novelty": round(novelty, 4),
                },
                "uncertain_themes": unsure_themes,
                "why": _why(models.stance.labels, stance_probabilities[index], unsure_themes, novelty, closest),
            }
        )
    return result
