"""Naming a discovered cluster from its own words, as KeyBERT does (Grootendorst, 2020), and saying how tight it is.

Candidates are the word 1- to 3-grams of the cluster's most central responses (no stopword at either end, no
word the codebook's themes already use). Each is embedded with the same sentence model as the responses and
ranked by its cosine to the cluster's centroid; Maximal Marginal Relevance (Carbonell and Goldstein, 1998) then
picks phrases that are close to the centroid but not to each other, so the label is not three wordings of one
idea. Coherence is the mean cosine of the members to their centroid: near 1 for one idea said many ways, low for
a cluster that only gathers what fits nowhere else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np

from .embedding import embed
from .text import STOPWORDS, stem, tokens

MAX_CANDIDATES = 120
CENTRAL_TEXTS = 10
# 1 ranks by closeness to the centroid alone; lower values trade some closeness for variety (KeyBERT's default 0.7)
DIVERSITY = 0.6


def _usable(word: str) -> bool:
    return word.isalpha() and len(word) > 2 and word not in STOPWORDS


def candidates(texts: Sequence[str], known_stems: Collection[str] = ()) -> list[str]:
    """The most frequent word 1-3 grams of ``texts`` that start and end on a content word."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = tokens(text)
        for size in (1, 2, 3):
            for start in range(len(words) - size + 1):
                gram = words[start : start + size]
                if not (_usable(gram[0]) and _usable(gram[-1])) or not all(w.isalpha() for w in gram):
                    continue
                if all(stem(w) in known_stems for w in gram if _usable(w)):
                    continue
                counts[" ".join(gram)] += 1
    return [phrase for phrase, _ in counts.most_common(MAX_CANDIDATES)]


def key_phrases(
    texts: Sequence[str], centroid: np.ndarray, n: int = 5, known_stems: Collection[str] = (), cache=None
) -> list[str]:
    """Up to ``n`` phrases from ``texts`` closest in meaning to ``centroid``, diverse (MMR); [] without the model."""
    phrases = candidates(texts, known_stems)
    if not phrases:
        return []
    vectors = embed(phrases, cache=cache)
    if vectors is None:
        return []
    centre = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
    relevance = vectors @ centre
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(n, len(phrases)):
        redundancy = (vectors @ vectors[chosen].T).max(axis=1)
        score = DIVERSITY * relevance - (1 - DIVERSITY) * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return [phrases[i] for i in chosen]


def coherence(vectors: np.ndarray) -> float:
    """Mean cosine of unit ``vectors`` to their centroid (0 to 1)."""
    if len(vectors) == 0:
        return 0.0
    centre = vectors.mean(axis=0)
    centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
    return float(np.clip((vectors @ centre).mean(), 0.0, 1.0))


def describe(phrases: Sequence[str]) -> str:
    """A one-line description for a suggested theme from its key phrases."""
    if not phrases:
        return ""
    listed = list(phrases[:3])
    joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    return f"Responses about {joined}."
