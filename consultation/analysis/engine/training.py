"""Classifiers that learn from coded responses, built from scikit-learn's own parts.

Each learner is a scikit-learn :class:`~sklearn.pipeline.Pipeline`; probabilities are calibrated with
:class:`~sklearn.calibration.CalibratedClassifierCV` when there are enough examples (see calibration.py).
Inputs are a 2-D object array: column 0 the analysed words of a response (``text.analyse_for_model``), the
other columns numbers (sentence vector, cue evidence, zero-shot scores), so one pipeline sees both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, StandardScaler

from .constants import CALIBRATION_FOLDS, EMBEDDING_C, NEIGHBOURS, STANCE_C, STANCE_WORDS_C, WORDS_C
from .text import analyse_for_model, split_analyser


def _as_float(columns):
    return np.asarray(columns, dtype=np.float64)


def _word_ngrams(doc: str) -> list[str]:
    words = split_analyser(doc)
    return ["__bias__"] + words + [a + "_" + b for a, b in zip(words, words[1:], strict=False)]


def feature_rows(texts: Sequence[str], *numeric: np.ndarray | None) -> np.ndarray:
    """The object array the pipelines take: analysed words, then every numeric block given."""
    blocks = [b for b in numeric if b is not None and b.size]
    rows = np.empty((len(texts), 1 + sum(b.shape[1] for b in blocks)), dtype=object)
    rows[:, 0] = [analyse_for_model(t) for t in texts]
    start = 1
    for block in blocks:
        rows[:, start : start + block.shape[1]] = block
        start += block.shape[1]
    return rows


def classifier(C: float, labels: int = 0, calibrate: bool = False):
    """Balanced logistic regression; one per label (one-vs-rest) when ``labels``; calibrated on request."""
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    if calibrate:
        folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=0)
        model = CalibratedClassifierCV(model, method="sigmoid", cv=folds)
    return OneVsRestClassifier(model) if labels else model


def label_probabilities(model, X, labels: int) -> np.ndarray:
    """(n, labels) probability of each label from a one-vs-rest model (one label comes back as two columns)."""
    P = model.predict_proba(X)
    return P[:, 1:] if labels == 1 and P.shape[1] == 2 else P


def words_and_numbers_pipeline(
    C: float, numeric_columns: int, vector_columns: int = 0, labels: int = 0, calibrate: bool = False
) -> Pipeline:
    """TF-IDF word 1-2 grams, scaled numeric columns and (last) a sentence vector, into a logistic regression.

    The sentence vector is passed through unscaled: it is unit length already, and scaling its 384 columns
    to [-1, 1] would let them drown the words.
    """
    parts = [("words", TfidfVectorizer(analyzer=_word_ngrams, sublinear_tf=True, dtype=np.float64), 0)]
    if numeric_columns:
        numbers = Pipeline([("float", FunctionTransformer(_as_float)), ("scale", MaxAbsScaler())])
        parts.append(("numbers", numbers, list(range(1, 1 + numeric_columns))))
    if vector_columns:
        first = 1 + numeric_columns
        parts.append(("vector", FunctionTransformer(_as_float), list(range(first, first + vector_columns))))
    return Pipeline([("features", ColumnTransformer(parts)), ("classify", classifier(C, labels, calibrate))])


def stance_pipeline(numeric_columns: int, vector_columns: int = 0) -> Pipeline:
    return words_and_numbers_pipeline(STANCE_C, numeric_columns, vector_columns)


def surface_stance_pipeline() -> Pipeline:
    """Raw texts into TF-IDF word 1-2 grams and character 2-5 grams (within words), into a balanced regression."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64)),
            ("characters", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )
    return Pipeline([("features", features), ("classify", classifier(STANCE_WORDS_C))])


def theme_words_pipeline(numeric_columns: int, labels: int, calibrate: bool = False) -> Pipeline:
    """Every theme's word classifier on one shared TF-IDF matrix (one-vs-rest)."""
    return words_and_numbers_pipeline(WORDS_C, numeric_columns, labels=labels, calibrate=calibrate)


def embedding_pipeline(labels: int = 0, calibrate: bool = False) -> Pipeline:
    """Standardised sentence vectors into a strongly regularised logistic regression (per label when given)."""
    return Pipeline([("scale", StandardScaler()), ("classify", classifier(EMBEDDING_C, labels, calibrate))])


def neighbour_scores(vectors: np.ndarray, coded: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n, k) in 0..1: closeness to a theme's nearest coded examples against the nearest counter-examples."""
    similarity = vectors @ coded.T
    out = np.full((len(vectors), labels.shape[1]), 0.5)
    for j in range(labels.shape[1]):
        positive = labels[:, j].astype(bool)
        if not positive.any() or positive.all():
            continue
        k_pos, k_neg = min(NEIGHBOURS, positive.sum()), min(NEIGHBOURS, (~positive).sum())
        near_pos = np.sort(similarity[:, positive], axis=1)[:, -k_pos:].mean(axis=1)
        near_neg = np.sort(similarity[:, ~positive], axis=1)[:, -k_neg:].mean(axis=1)
        # a cosine gap of 0.1 between the two neighbourhoods is a clear call (probability about 0.88)
        out[:, j] = 1.0 / (1.0 + np.exp(-20.0 * (near_pos - near_neg)))
    return out
