"""Multi-label theme coding: zero-shot from the codebook, joined by learnt classifiers once responses are coded.

For each theme the learnt part averages up to three views of the coded responses: a word n-gram pipeline
(with the zero-shot scores as extra columns), a logistic regression on sentence vectors, and closeness to the
nearest coded examples. That average counts ``n_pos / (n_pos + THEME_PRIOR_STRENGTH)`` against the
zero-shot probability, so a theme with a handful of examples still leans on its description. The decision
threshold is chosen on out-of-fold predictions of the coded responses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .calibration import apply_threshold, choose_threshold, out_of_fold
from .codebook import CodebookSpec
from .constants import DEFAULT_THRESHOLD, MIN_CODED_FOR_THRESHOLD, MIN_POSITIVES_TO_CALIBRATE, THEME_PRIOR_STRENGTH
from .embedding import embed, learning_vectors, model_available
from .training import embedding_pipeline, feature_rows, label_probabilities, neighbour_scores, theme_words_pipeline
from .zero_shot import ThemeZeroShot


class _Learnt:
    """The learnt classifiers of every theme, fitted on one set of coded responses.

    Each view is one scikit-learn pipeline over all themes at once (one-vs-rest on one shared feature matrix);
    themes with no positive (or no negative) example keep their zero-shot score.
    """

    def __init__(self, rows: np.ndarray, vectors: np.ndarray | None, Y: np.ndarray):
        self.positives = Y.sum(axis=0)
        self.active = np.where((self.positives > 0) & (self.positives < len(Y)))[0]
        self.vectors, self.Y = vectors, Y
        self.words = self.embedding = None
        labels = len(self.active)
        if not labels:
            return
        target = Y[:, self.active]
        calibrate = bool(min(target.sum(axis=0).min(), (1 - target).sum(axis=0).min()) >= MIN_POSITIVES_TO_CALIBRATE)
        self.words = theme_words_pipeline(rows.shape[1] - 1, labels, calibrate).fit(rows, target)
        if vectors is not None:
            self.embedding = embedding_pipeline(labels, calibrate).fit(vectors, target)

    def predict(self, rows: np.ndarray, vectors: np.ndarray | None) -> np.ndarray:
        out = np.zeros((len(rows), self.Y.shape[1]))
        if self.words is None:
            return out
        labels = len(self.active)
        views = [label_probabilities(self.words, rows, labels)]
        if self.embedding is not None and vectors is not None:
            views.append(label_probabilities(self.embedding, vectors, labels))
            views.append(neighbour_scores(vectors, self.vectors, self.Y)[:, self.active])
        out[:, self.active] = np.mean(views, axis=0)
        return out


class ThemeModel:
    """ThemeSpec coder for one codebook; ``use_model`` None means "the sentence model if it is installed"."""

    def __init__(
        self,
        codebook: CodebookSpec,
        threshold: float = DEFAULT_THRESHOLD,
        prior_strength: float = THEME_PRIOR_STRENGTH,
        use_model: bool | None = None,
        cache=None,
    ):
        self.codebook = codebook
        self.keys = codebook.keys
        self.threshold = threshold
        self.prior_strength = prior_strength
        self.min_one_ratio = 1.0
        self.use_model = model_available() if use_model is None else use_model
        self.cache = cache
        self.zero_shot = ThemeZeroShot(codebook, use_model=self.use_model, cache=cache)
        self._learnt: _Learnt | None = None
        self.n_train = 0

    def _vectors(self, texts: Sequence[str]) -> np.ndarray | None:
        return embed(texts, cache=self.cache) if self.use_model and len(texts) else None

    def _features(self, texts: Sequence[str]) -> np.ndarray | None:
        return learning_vectors(texts, cache=self.cache) if self.use_model and len(texts) else None

    def _blend(self, rows, vectors, zero_shot_p, learnt: _Learnt | None) -> np.ndarray:
        if learnt is None:
            return zero_shot_p
        share = learnt.positives / (learnt.positives + self.prior_strength)
        return share * learnt.predict(rows, vectors) + (1 - share) * zero_shot_p

    def fit(self, texts: Sequence[str], theme_sets: Sequence[Sequence[str]]) -> ThemeModel:
        texts = list(texts)
        index = {k: j for j, k in enumerate(self.keys)}
        Y = np.zeros((len(texts), len(self.keys)), dtype=int)
        for i, themes in enumerate(theme_sets):
            for key in themes:
                if key in index:
                    Y[i, index[key]] = 1
        self.n_train = len(texts)
        if not texts or not self.keys:
            return self
        vectors = self._vectors(texts)
        z = self.zero_shot.standardised(texts, vectors)
        rows = feature_rows(texts, z)
        zero_shot_p = self.zero_shot.probabilities(texts, vectors)
        features = self._features(texts)  # the learnt classifiers read the learning vectors
        if len(texts) >= MIN_CODED_FOR_THRESHOLD:

            def fit_predict(train, test):
                learnt = _Learnt(rows[train], None if features is None else features[train], Y[train])
                return self._blend(rows[test], None if features is None else features[test], zero_shot_p[test], learnt)

            self.threshold, self.min_one_ratio = choose_threshold(out_of_fold(fit_predict, len(texts)), Y)
        self._learnt = _Learnt(rows, features, Y)
        return self

    def predict_scores_matrix(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """(n, k) confidences for every theme, columns in codebook order."""
        texts = list(texts)
        if not texts or not self.keys:
            return np.zeros((len(texts), len(self.keys)))
        if vectors is None:
            vectors = self._vectors(texts)
        zero_shot_p = self.zero_shot.probabilities(texts, vectors)
        if self._learnt is None:
            return zero_shot_p
        rows = feature_rows(texts, self.zero_shot.standardised(texts, vectors))
        return self._blend(rows, self._features(texts), zero_shot_p, self._learnt)

    def predict_scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        P = self.predict_scores_matrix(texts)
        return [{k: float(round(P[i, j], 4)) for j, k in enumerate(self.keys)} for i in range(len(P))]

    def decide(self, P: np.ndarray) -> np.ndarray:
        """Boolean (n, k): which themes each response is coded with."""
        return apply_threshold(P, self.threshold, self.min_one_ratio)

    def predict(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[dict[str, float]]:
        P = self.predict_scores_matrix(texts, vectors)
        chosen = self.decide(P)
        out = []
        for i in range(len(P)):
            found = {self.keys[j]: float(round(P[i, j], 4)) for j in np.where(chosen[i])[0]}
            out.append(dict(sorted(found.items(), key=lambda kv: -kv[1])))
        return out
