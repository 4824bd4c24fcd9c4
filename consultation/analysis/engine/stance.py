"""Stance toward the proposal: cue evidence first, joined by a classifier once there are labelled answers.

Untrained, the general grammar of agreeing and objecting (stance_cues.py) gives the probabilities. After
:meth:`StanceModel.fit` a scikit-learn pipeline over word n-grams, the cue evidence and (when the sentence
model is installed) the sentence vector learns the consultation's own way of saying things; its share grows
with the labelled examples as ``n / (n + STANCE_PRIOR_STRENGTH)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .calibration import fit_calibrated
from .constants import CUE_SHARPNESS, MIXED_TO_NEUTRAL, NEUTRAL_BASE, NEUTRAL_PER_QUESTION, STANCE_PRIOR_STRENGTH
from .embedding import learning_vectors, model_available
from .stance_cues import cue_evidence, proposal_actions, proposal_object
from .training import feature_rows, stance_pipeline

STANCES = ("oppose", "support", "neutral")


def cue_scores(texts: Sequence[str], proposal: str | None = None) -> np.ndarray:
    """Raw evidence (n, 4): oppose, support, neutral, questions."""
    actions, obj = proposal_actions(proposal), proposal_object(proposal)
    return np.array([cue_evidence(t, actions, obj) for t in texts], dtype=float).reshape(len(texts), 4)


def cue_probabilities(evidence: np.ndarray) -> np.ndarray:
    """(n, 3) stance probabilities from cue evidence alone (the zero-shot stance)."""
    opp, sup, neu, questions = evidence.T
    mixed = np.minimum(opp, sup)
    neutral = NEUTRAL_BASE + neu + NEUTRAL_PER_QUESTION * np.minimum(questions, 3) + MIXED_TO_NEUTRAL * mixed
    logits = np.stack([opp - 0.5 * mixed, sup - 0.5 * mixed, neutral], axis=1) * CUE_SHARPNESS
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def _cue_columns(evidence: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [np.log1p(evidence[:, :3]), np.minimum(evidence[:, 3], 3) / 3.0, cue_probabilities(evidence)]
    )


class StanceModel:
    """``oppose`` / ``support`` / ``neutral`` toward the proposal.

    ``proposal``: a sentence saying what is proposed (the consultation's question or codebook description);
    its verb tells the cues what action "don't ... it" refers to, and its nouns what the proposal is about.
    """

    labels = STANCES

    def __init__(
        self,
        proposal: str | None = None,
        prior_strength: float = STANCE_PRIOR_STRENGTH,
        use_model: bool | None = None,
        cache=None,
    ):
        self.proposal = proposal
        self.prior_strength = prior_strength
        self.use_model = model_available() if use_model is None else use_model
        self.cache = cache
        self._classifier = None
        self._single: str | None = None
        self.n_train = 0

    def fit(self, texts: Sequence[str], stances: Sequence[str], weights: Sequence[float] | None = None):
        texts = list(texts)
        y = np.array([s if s in STANCES else "neutral" for s in stances])
        self.n_train = len(texts)
        self._classifier, self._single = None, None
        if len(set(y.tolist())) < 2:
            # one class only (every coded response agreed): nothing to tell apart, so learn the prior
            self._single = str(y[0]) if len(y) else None
            return self
        vectors = learning_vectors(texts, cache=self.cache) if self.use_model else None
        evidence = cue_scores(texts, self.proposal)
        columns = _cue_columns(evidence)
        rows = feature_rows(texts, columns, vectors)
        pipeline = stance_pipeline(columns.shape[1], 0 if vectors is None else vectors.shape[1])
        self._classifier = fit_calibrated(pipeline, rows, y, sample_weight=weights)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities in the order of :attr:`labels`."""
        texts = list(texts)
        evidence = cue_scores(texts, self.proposal)
        prior = cue_probabilities(evidence)
        if not self.n_train:
            return prior
        share = self.n_train / (self.n_train + self.prior_strength)
        learnt = np.zeros_like(prior)
        if self._classifier is None:
            if self._single is None:
                return prior
            learnt[:, STANCES.index(self._single)] = 1.0
        else:
            vectors = learning_vectors(texts, cache=self.cache) if self.use_model else None
            p = self._classifier.predict_proba(feature_rows(texts, _cue_columns(evidence), vectors))
            for j, label in enumerate(self._classifier.classes_):
                learnt[:, STANCES.index(label)] = p[:, j]
        return share * learnt + (1 - share) * prior

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        p = self.predict_proba(texts)
        best = p.argmax(axis=1)
        return [(STANCES[i], float(round(p[k, i], 4))) for k, i in enumerate(best)]
