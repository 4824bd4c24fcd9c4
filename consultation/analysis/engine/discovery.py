"""Discover candidate new themes: cluster responses the codebook covers poorly."""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable, Sequence

import numpy as np

from .codebook import CodebookSpec
from .constants import CLUSTER_SIZE_HINT, COVERED_SIMILARITY, COVERED_WORD_OVERLAP
from .embedding import embed, model_available
from .keyphrases import CENTRAL_TEXTS, coherence, describe, key_phrases
from .text import STOPWORDS, content_stems, stem, tokens
from .zero_shot import ThemeZeroShot

_GENERIC = frozenset(
    stem(w)
    for w in """
please one sure make made actually anyone anybody nobody someone something anything everyone everything can
like really just still even also ever never much many well way going go goes know think want wants would
could thing things lot lots get got say said see seen yes no ok okay thank thanks dear yours sincerely need
needs keep kept use used time times year years day days good bad new old people person right left fine
""".split()
)


def _label_terms(texts: Sequence[str]) -> dict[str, str]:
    """Most frequent surface word for each stem (to make readable top terms)."""
    counts: dict[str, dict[str, int]] = {}
    for t in texts:
        for w in tokens(t):
            if w.isalpha() and w not in STOPWORDS and len(w) > 2:
                d = counts.setdefault(stem(w), {})
                d[w] = d.get(w, 0) + 1
    return {s: max(d, key=d.get) for s, d in counts.items()}


def discover_themes(
    texts: Sequence[str],
    ids: Sequence[Hashable] | None = None,
    codebook: CodebookSpec | None = None,
    n_clusters: int | None = None,
    max_clusters: int = 12,
    coverage_threshold: float | None = None,
    n_examples: int = 5,
    seed: int = 0,
    max_docs: int = 20000,
    use_model: bool | None = None,
    cache=None,
) -> list[dict]:
    """Cluster responses that the codebook does not cover well and describe each cluster.

    Returns a list (largest first) of ``{"top_terms", "key_phrases", "coherence", "size", "example_ids",
    "example_texts", "suggested_key", "suggested_label", "suggested_description"}``; with the sentence model the
    label and description come from the cluster's key phrases (keyphrases.py), without it from its top terms.
    With a codebook, only responses whose best similarity to a theme is below :data:`COVERED_SIMILARITY` (or
    ``coverage_threshold``) are clustered, and terms from the codebook's
    own labels/descriptions are left out of the top terms. With the sentence model, responses are grouped by
    meaning (k-means on their sentence vectors), so two ways of saying one thing land together; without it,
    by shared words. Top terms always come from the words.
    """
    texts = list(texts)
    ids = list(ids) if ids is not None else list(range(len(texts)))
    idx, known = _uncovered(texts, codebook, coverage_threshold, use_model, cache)
    if len(idx) > max_docs:
        idx = np.random.default_rng(seed).choice(idx, size=max_docs, replace=False)
    docs = [" ".join(s for s in content_stems(texts[i]) if s not in _GENERIC and s.isalpha()) for i in idx]
    keep = [k for k, d in enumerate(docs) if len(d.split()) >= 2]
    idx = idx[keep]
    docs = [docs[k] for k in keep]
    if len(docs) < 4:
        return []
    words = _word_matrix(docs)
    if words is None:
        return []
    X, vec = words
    n_distinct = len({(tuple(r.indices), tuple(np.round(r.data, 6))) for r in X})
    if n_distinct < 2:
        return []
    max_clusters = min(max_clusters, n_distinct)
    use_model = model_available() if use_model is None else use_model
    space = embed([texts[i] for i in idx], cache=cache) if use_model else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _cluster(X, vec, idx, texts, ids, known, n_clusters, max_clusters, n_examples, seed, space, cache)


def _uncovered(
    texts: list[str], codebook: CodebookSpec | None, coverage_threshold: float | None, use_model: bool | None, cache
) -> tuple[np.ndarray, set[str]]:
    """The positions of the texts the codebook covers poorly (all of them without a codebook), and the stems of the
    codebook's own labels and descriptions."""
    idx = np.arange(len(texts))
    known: set[str] = set()
    if codebook is not None and codebook.themes:
        zero_shot = ThemeZeroShot(
            codebook, use_model=model_available() if use_model is None else use_model, cache=cache
        )
        floor = COVERED_SIMILARITY if zero_shot.use_model else COVERED_WORD_OVERLAP
        coverage = zero_shot.coverage(texts)
        idx = np.where(coverage < (floor if coverage_threshold is None else coverage_threshold))[0]
        for th in codebook.themes:
            known.update(content_stems(th.label + " " + th.description))
    return idx, known


def _word_matrix(docs: list[str]):
    """TF-IDF rows of word 1-2 grams and their vectoriser, or None when the documents share too few words."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        token_pattern=r"\S+",
        min_df=2 if len(docs) >= 20 else 1,
        max_df=0.5,
        ngram_range=(1, 2),
        sublinear_tf=True,
    )
    try:
        X = vec.fit_transform(docs)
    except ValueError:
        return None
    if X.shape[1] < 2:
        return None
    return X, vec


def _describe_cluster(c, top, members, central, texts, ids, idx, known, ex, space, X, cache) -> dict:
    """A cluster's key phrases (KeyBERT-style, with the sentence model), label, description and coherence."""
    phrases: list[str] = []
    if space is not None:
        central_texts = [texts[idx[i]] for i in central[:CENTRAL_TEXTS]]
        phrases = key_phrases(central_texts, space[members].mean(axis=0), known_stems=known, cache=cache)
        tightness = coherence(space[members])
    else:
        rows = X[members].toarray()
        rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        tightness = coherence(rows)
    if phrases:
        label = phrases[0]
        words = label.split()
    else:
        words = [w for w in top[0].split()][:2]
        if len(top) > 1 and len(words) < 2:
            words.append(top[1].split()[0])
        label = " ".join(words)
    key = re.sub(r"[^a-z0-9]+", "_", "_".join(words).lower()).strip("_") or f"cluster_{c}"
    return {
        "top_terms": top,
        "key_phrases": phrases,
        "coherence": round(tightness, 3),
        "size": int(len(members)),
        "example_ids": [ids[idx[i]] for i in ex],
        "example_texts": [texts[idx[i]] for i in ex],
        "suggested_key": key[:60],
        "suggested_label": label.capitalize(),
        "suggested_description": describe(phrases or top[:3]),
    }


def _cluster(X, vec, idx, texts, ids, known, n_clusters, max_clusters, n_examples, seed, space=None, cache=None):
    """k-means on ``space`` (sentence vectors) or, without it, on the TF-IDF rows ``X``; k by silhouette."""
    from sklearn.cluster import KMeans

    if n_clusters is None:
        n_clusters = _choose_k(X if space is None else space, max_clusters, seed)
    n_clusters = max(1, min(n_clusters, max_clusters, X.shape[0]))
    km = KMeans(n_clusters=n_clusters, n_init=5, random_state=seed).fit(X if space is None else space)
    terms = np.array(vec.get_feature_names_out())
    overall = np.asarray(X.mean(axis=0)).ravel()
    readable = _label_terms([texts[i] for i in idx])
    out = []
    for c in range(n_clusters):
        members = np.where(km.labels_ == c)[0]
        if len(members) == 0:
            continue
        # a cluster's terms: its mean TF-IDF row, less the corpus mean, so words every response uses drop out
        centre = np.asarray(X[members].mean(axis=0)).ravel() - (0.0 if space is None else overall)
        top = _top_terms(centre, terms, known, readable)
        if space is None:
            dist = np.asarray(X[members] @ centre).ravel()
        else:
            dist = space[members] @ km.cluster_centers_[c]
        central = members[np.argsort(-dist)]
        ex = central[:n_examples]
        out.append(_describe_cluster(c, top, members, central, texts, ids, idx, known, ex, space, X, cache))
    out.sort(key=lambda d: -d["size"])
    _number_repeated_keys(out)
    return out


def _choose_k(points, max_clusters: int, seed: int) -> int:
    """The number of clusters with the best silhouette (on a sample of at most 3,000 points)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    upper = max(2, min(max_clusters, points.shape[0] // 4))
    # silhouette favours two big halves of any corpus; a reviewer wants themes, so start from one cluster
    # per CLUSTER_SIZE_HINT responses
    lower = min(upper, max(2, points.shape[0] // CLUSTER_SIZE_HINT))
    best, best_k = -1.0, lower
    sample = np.arange(points.shape[0])
    if len(sample) > 3000:
        sample = np.random.default_rng(seed).choice(sample, 3000, replace=False)
    for k in range(lower, upper + 1):
        lab = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(points)
        if len(set(lab[sample])) < 2:
            continue
        s = silhouette_score(points[sample], lab[sample], metric="cosine")
        if s > best:
            best, best_k = s, k
    return best_k


def _top_terms(centre: np.ndarray, terms: np.ndarray, known: set[str], readable: dict[str, str]) -> list[str]:
    """Up to eight of the cluster's strongest terms the codebook does not already name, in readable words."""
    order = np.argsort(-centre)
    top = []
    for j in order:
        if centre[j] <= 0:
            break
        parts = terms[j].split()
        if all(p in known for p in parts):
            continue
        top.append(" ".join(readable.get(p, p) for p in parts))
        if len(top) >= 8:
            break
    if not top:
        top = [" ".join(readable.get(p, p) for p in terms[j].split()) for j in order[:5]]
    return top


def _number_repeated_keys(clusters: list[dict]) -> None:
    """A suggested key that repeats one before it gets a number: `parking`, `parking_2`."""
    seen: dict[str, int] = {}
    for d in clusters:
        k = d["suggested_key"]
        if k in seen:
            seen[k] += 1
            d["suggested_key"] = f"{k}_{seen[k]}"
        else:
            seen[k] = 1
