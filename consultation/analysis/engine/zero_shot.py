"""Themes with no coded examples: how close each response is to each theme's own words.

Two signals, both read only from the codebook: sentence-model similarity between the response and the
theme (its label with its description, its label alone, and each of its examples), and word overlap (TF-IDF
over light stems) for the same texts. Each is standardised per theme over the responses being coded, so a
theme that every response resembles a little does not swamp the rest; a response takes its best theme and
those within :data:`ZERO_SHOT_MARGIN` of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .codebook import CodebookSpec
from .constants import LEXICAL_SHARE, MIN_BATCH_FOR_STATISTICS, ZERO_SHOT_FLOOR, ZERO_SHOT_MARGIN
from .embedding import embed
from .text import content_stems


def theme_texts(codebook: CodebookSpec) -> list[str]:
    return [f"{t.label}: {t.description}".strip(": ") for t in codebook.themes]


def _terms(text: str) -> list[str]:
    # "__theme__" is in every text, so a codebook whose themes share no content word (or have none) still fits
    return ["__theme__", *content_stems(text)]


class ThemeZeroShot:
    """Similarity of responses to the themes of one codebook, as standardised scores and probabilities."""

    def __init__(self, codebook: CodebookSpec, use_model: bool = True, cache=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.codebook = codebook
        self.fallback = np.array([t.is_fallback for t in codebook.themes], dtype=bool)
        self.use_model = use_model
        self.cache = cache
        described = [f"{t.label} {t.label} {t.description} {' '.join(t.examples)}" for t in codebook.themes]
        self._words = TfidfVectorizer(analyzer=_terms, sublinear_tf=True)
        self._theme_words = self._words.fit_transform(described or [""])
        self._theme_vectors = None
        self._stats: tuple[np.ndarray, np.ndarray] | None = None

    def _vectors(self):
        if self._theme_vectors is None and self.use_model and self.codebook.themes:
            themes = self.codebook.themes
            full = embed(theme_texts(self.codebook), cache=self.cache)
            if full is None:
                self.use_model = False
                return None
            labels = embed([t.label for t in themes], cache=self.cache)
            vectors = full + labels
            for j, theme in enumerate(themes):
                if theme.examples:
                    vectors[j] += embed(theme.examples, cache=self.cache).mean(axis=0)
            self._theme_vectors = vectors
        return self._theme_vectors

    def raw(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """(n, k) unstandardised similarity: model similarity plus a share of word overlap."""
        words = np.asarray((self._words.transform(list(texts)) @ self._theme_words.T).todense())
        theme_vectors = self._vectors()
        if theme_vectors is None:
            return words
        if vectors is None:
            vectors = embed(texts, cache=self.cache)
        # word overlap is on a smaller scale than cosine; standardising later puts both on one footing
        return vectors @ theme_vectors.T + LEXICAL_SHARE * words * 2.0

    def coverage(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """How well the codebook covers each text: its best cosine to a theme (sentence model, or words)."""
        themes = ~self.fallback
        if not themes.any() or not len(texts):
            return np.zeros(len(texts))
        theme_vectors = self._vectors()
        if theme_vectors is None:
            words = np.asarray((self._words.transform(list(texts)) @ self._theme_words.T).todense())
            return words[:, themes].max(axis=1)
        if vectors is None:
            vectors = embed(texts, cache=self.cache)
        unit = theme_vectors / np.linalg.norm(theme_vectors, axis=1, keepdims=True)
        return (vectors @ unit.T)[:, themes].max(axis=1)

    def standardised(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Scores in standard deviations above each theme's mean over a large enough batch of responses."""
        raw = self.raw(texts, vectors)
        if len(texts) >= MIN_BATCH_FOR_STATISTICS:
            spread = raw.std(axis=0)
            self._stats = (raw.mean(axis=0), np.maximum(spread, 1e-6))
        if self._stats is not None:
            mean, spread = self._stats
        else:  # a few texts and no earlier batch: compare themes within each response only
            mean, spread = np.zeros(raw.shape[1]), np.full(raw.shape[1], max(float(raw.std()), 1e-6))
        z = (raw - mean) / spread
        z[:, self.fallback] = -9.0
        return z

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """(n, k) in 0..1: 0.5 at the decision boundary (best theme minus the margin, above the floor)."""
        if not len(texts) or not self.codebook.themes:
            return np.zeros((len(texts), len(self.codebook.themes)))
        z = self.standardised(texts, vectors)
        best = z.max(axis=1, keepdims=True)
        boundary = np.maximum(best - ZERO_SHOT_MARGIN, ZERO_SHOT_FLOOR)
        return 1.0 / (1.0 + np.exp(-3.0 * (z - boundary)))
