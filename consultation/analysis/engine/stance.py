"""Stance toward the proposal: cue evidence first, joined by a classifier once there are labelled answers.

Untrained, the general grammar of agreeing and objecting (stance_cues.py) gives the probabilities. After
:meth:`StanceModel.fit` a scikit-learn pipeline over word n-grams, the cue evidence and (when the sentence
model is installed) the sentence vector learns the consultation's own way of saying things; its share grows
with the labelled examples as ``n / (n + STANCE_PRIOR_STRENGTH)``. A second reader of the surface alone (word
and character n-grams) is mixed in with the share that scores best out of fold on the codings (often 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

from .calibration import fit_calibrated, out_of_fold
from .constants import (
    CUE_SHARPNESS,
    MIXED_TO_NEUTRAL,
    NEUTRAL_BASE,
    NEUTRAL_PER_QUESTION,
    STANCE_PRIOR_STRENGTH,
    STANCE_SHARE_FOLDS,
    STANCE_WORDS_SHARES,
)
from .embedding import learning_vectors, model_available
from .stance_cues import cue_evidence, proposal_actions, proposal_object
from .training import feature_rows, stance_pipeline, surface_stance_pipeline

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


def _in_order(model, X) -> np.ndarray:
    """(n, 3) probabilities of a fitted classifier, columns in the order of ``STANCES``."""
    p = model.predict_proba(X)
    out = np.zeros((p.shape[0], len(STANCES)))
    for j, label in enumerate(model.classes_):
        out[:, STANCES.index(label)] = p[:, j]
    return out


def best_share(y: np.ndarray, main: np.ndarray, surface: np.ndarray, shares=STANCE_WORDS_SHARES) -> float:
    """The share of ``surface`` mixed into ``main`` (out-of-fold probabilities) with the best macro-F1 on ``y``;
    ties go to the smaller share."""
    best = (-1.0, 0.0)
    for share in shares:
        predicted = np.array(STANCES)[((1 - share) * main + share * surface).argmax(axis=1)]
        score = f1_score(y, predicted, labels=sorted(set(y.tolist())), average="macro", zero_division=0.0)
        if score > best[0] + 1e-9:
            best = (score, float(share))
    return best[1]


def _cue_columns(evidence: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [np.log1p(evidence[:, :3]), np.minimum(evidence[:, 3], 3) / 3.0, cue_probabilities(evidence)]
    )


class StanceModel:
    """``oppose`` / ``support`` / ``neutral`` toward the proposal.

    ``proposal``: a sentence saying what is proposed (the consultation's question or codebook description);
    its verb tells the cues what action "don't ... it" refers to, and its nouns what the proposal is about.
    ``surface``: whether to fit the word and character n-gram reader; None fits it when the sentence model is
    in use (without the model the main classifier reads the words already, and the reader lost 0.05 stance
    macro-F1 on one of our sets there); False for the models fitted to choose its share.
    """

    labels = STANCES

    def __init__(
        self,
        proposal: str | None = None,
        prior_strength: float = STANCE_PRIOR_STRENGTH,
        use_model: bool | None = None,
        cache=None,
        surface: bool | None = None,
    ):
        self.proposal = proposal
        self._surface = None
        self.surface_share = 0.0
        self.prior_strength = prior_strength
        self.use_model = model_available() if use_model is None else use_model
        self.surface = self.use_model if surface is None else surface
        self.cache = cache
        self._classifier = None
        self._single: str | None = None
        self.n_train = 0

    def fit(self, texts: Sequence[str], stances: Sequence[str], weights: Sequence[float] | None = None):
        texts = list(texts)
        y = np.array([s if s in STANCES else "neutral" for s in stances])
        self.n_train = len(texts)
        self._classifier, self._single, self._surface, self.surface_share = None, None, None, 0.0
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
        if self.surface:
            self._fit_surface(texts, y, weights)
        return self

    def _fit_surface(self, texts: list[str], y: np.ndarray, weights) -> None:
        """Fit the surface reader and choose its share on out-of-fold predictions of the codings."""
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < STANCE_SHARE_FOLDS:
            return
        weights = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)

        def fit_predict(train, test):
            inner = StanceModel(self.proposal, self.prior_strength, self.use_model, self.cache, surface=False)
            inner.fit([texts[i] for i in train], y[train], weights[train])
            surface = surface_stance_pipeline().fit(
                [texts[i] for i in train], y[train], classify__sample_weight=weights[train]
            )
            return np.hstack(
                [inner.predict_proba([texts[i] for i in test]), _in_order(surface, [texts[i] for i in test])]
            )

        try:
            both = out_of_fold(fit_predict, len(y), STANCE_SHARE_FOLDS, labels=y)
            self.surface_share = best_share(y, both[:, :3], both[:, 3:])
            if self.surface_share:
                self._surface = surface_stance_pipeline().fit(texts, y, classify__sample_weight=weights)
        except ValueError as error:  # texts too short to hold a word or letter pattern twice: read without it
            if not _no_terms(error):
                raise
            self.surface_share, self._surface = 0.0, None

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
            learnt = _in_order(self._classifier, feature_rows(texts, _cue_columns(evidence), vectors))
        mixed = share * learnt + (1 - share) * prior
        if self._surface is None:
            return mixed
        return (1 - self.surface_share) * mixed + self.surface_share * _in_order(self._surface, texts)

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        p = self.predict_proba(texts)
        best = p.argmax(axis=1)
        return [(STANCES[i], float(round(p[k, i], 4))) for k, i in enumerate(best)]


def _no_terms(error: ValueError) -> bool:
    """scikit-learn's refusal of texts that leave a vectorizer no terms."""
    message = str(error)
    return "empty vocabulary" in message or "no terms remain" in message
