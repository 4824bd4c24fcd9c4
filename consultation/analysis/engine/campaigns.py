"""Campaign / template-response detection: exact duplicates after normalisation plus near duplicates.

Near duplicates use MinHash over word 1-2 gram sets with LSH banding, all vectorised in numpy; buckets are
resolved against a few representatives each, so a 10,000-member campaign costs O(n), not O(n^2).
Similarity is the (estimated) Jaccard similarity of the word 1-2 gram sets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable, Sequence

import numpy as np

from .constants import MAX_PARAPHRASE_TEXTS, PARAPHRASE_SIMILARITY

_NORM_RE = re.compile(r"[^a-z0-9]+")


def normalise_for_match(text: str) -> str:
    return _NORM_RE.sub(" ", (text or "").lower()).strip()


class _UF:
    def __init__(self, n: int):
        self.p = np.arange(n)

    def find(self, a: int) -> int:
        p = self.p
        r = a
        while p[r] != r:
            r = p[r]
        while p[a] != r:
            p[a], a = r, p[a]
        return r

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.p[rb] = ra
            else:
                self.p[ra] = rb


def _signatures(norm_texts: Sequence[str], num_perm: int, block: int = 4000) -> np.ndarray:
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(
        n_features=2**31 - 1,
        ngram_range=(1, 2),
        binary=True,
        norm=None,
        alternate_sign=False,
        token_pattern=r"\S+",
        lowercase=False,
        dtype=np.float32,
    )
    rng = np.random.default_rng(12345)
    # multiply-shift hashing: ((a * x + b) mod 2^64) >> 32 with odd random a
    a = rng.integers(1, 2**63 - 1, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=num_perm, dtype=np.uint64)
    shift = np.uint64(32)
    sig = np.full((len(norm_texts), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    for s in range(0, len(norm_texts), block):
        X = hv.transform(norm_texts[s : s + block])
        X.sort_indices()
        ind = X.indices.astype(np.uint64)
        lens = np.diff(X.indptr)
        nz = np.where(lens > 0)[0]
        if len(ind) == 0:
            continue
        starts = X.indptr[:-1][nz]
        for k0 in range(0, num_perm, 16):
            ak, bk = a[k0 : k0 + 16], b[k0 : k0 + 16]
            h = (ind[:, None] * ak[None, :] + bk[None, :]) >> shift  # wraps mod 2^64 by design
            mins = np.minimum.reduceat(h, starts, axis=0)
            sig[s + nz, k0 : k0 + 16] = mins.astype(np.uint32)
    return sig


def _join_paraphrases(uf: _UF, vectors: np.ndarray, rows: np.ndarray, threshold: float, block: int = 512) -> None:
    """Union texts whose sentence vectors are at least ``threshold`` alike: a template letter reworded."""
    for start in range(0, len(rows), block):
        similarity = vectors[start : start + block] @ vectors.T
        for offset, row in enumerate(similarity):
            i = start + offset
            for j in np.flatnonzero(row[i + 1 :] >= threshold) + i + 1:
                uf.union(int(rows[i]), int(rows[j]))


def find_campaigns(
    items: Sequence[tuple[Hashable, str]],
    threshold: float = 0.85,
    min_size: int = 2,
    num_perm: int = 64,
    max_reps: int = 6,
    vectors: np.ndarray | None = None,
    paraphrase_threshold: float = PARAPHRASE_SIMILARITY,
) -> list[dict]:
    """Group identical, near-identical and (with ``vectors``) reworded texts.

    ``items`` are ``(id, text)``. Returns groups of at least ``min_size`` members, largest first, each
    ``{"key", "size", "member_ids", "sample_text"}``; ``key`` is a stable hash of the group's sample text.
    ``threshold`` is the minimum Jaccard similarity of word 1-2 gram sets for near duplicates. ``vectors``
    (one unit-length sentence vector per item) also joins texts at least ``paraphrase_threshold`` alike in
    meaning, which catches a campaign letter that each sender was asked to put in their own words.
    """
    items = list(items)
    if not items:
        return []
    norm = [normalise_for_match(t) for _, t in items]
    # 1. exact duplicates after normalisation
    uniq: dict[str, int] = {}
    owner = np.empty(len(items), dtype=np.int64)
    for i, t in enumerate(norm):
        owner[i] = uniq.setdefault(t, len(uniq))
    utexts = list(uniq.keys())
    nu = len(utexts)
    uf = _UF(nu)
    # 2. near duplicates among the unique texts (skip trivial texts: too short to call a template)
    ntoks = np.array([t.count(" ") + 1 if t else 0 for t in utexts])
    cand = np.where(ntoks >= 4)[0]
    if threshold < 1.0 and len(cand) > 1:
        _join_near_duplicates(uf, [utexts[i] for i in cand], cand, threshold, num_perm, max_reps)
    # 3. reworded copies, by meaning (the first item of each distinct text stands for it)
    if vectors is not None and len(cand) > 1 and len(cand) <= MAX_PARAPHRASE_TEXTS:
        first_of = np.zeros(nu, dtype=np.int64)
        first_of[owner[::-1]] = np.arange(len(items))[::-1]
        _join_paraphrases(uf, np.asarray(vectors)[first_of[cand]], cand, paraphrase_threshold)
    # 4. collect groups over original items
    roots = np.array([uf.find(int(u)) for u in range(nu)])
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        if not norm[i]:  # blank responses are not a campaign
            continue
        groups.setdefault(int(roots[owner[i]]), []).append(i)
    out = [_group(items, owner, utexts, members) for members in groups.values() if len(members) >= min_size]
    out.sort(key=lambda g: (-g["size"], g["key"]))
    return out


def _join_near_duplicates(
    uf: _UF, texts: list[str], cand: np.ndarray, threshold: float, num_perm: int, max_reps: int
) -> None:
    """Union the candidate texts (``texts[k]`` is unique text ``cand[k]``) whose MinHash signatures agree on at
    least ``threshold`` of their slots, found through LSH bands."""
    sig = _signatures(texts, num_perm)
    rows = 4 if threshold >= 0.7 else 2
    bands = num_perm // rows
    seen_buckets: set[int] = set()
    for bnd in range(bands):
        chunk = sig[:, bnd * rows : (bnd + 1) * rows].astype(np.uint64)
        key = np.zeros(len(cand), dtype=np.uint64)
        for r in range(rows):
            key = key * np.uint64(0x9E3779B1) + chunk[:, r]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        brk = np.flatnonzero(np.diff(ks)) + 1
        starts = np.concatenate([[0], brk])
        ends = np.concatenate([brk, [len(ks)]])
        multi = np.where(ends - starts >= 2)[0]
        for g in multi:
            members = np.sort(order[starts[g] : ends[g]])
            h = hash(members.tobytes())
            if h in seen_buckets:
                continue
            seen_buckets.add(h)
            _resolve_bucket(uf, sig, cand, members, threshold, max_reps)


def _resolve_bucket(
    uf: _UF, sig: np.ndarray, cand: np.ndarray, members: np.ndarray, threshold: float, max_reps: int
) -> None:
    """Join a bucket's members to up to ``max_reps`` representatives each close enough to them."""
    rest = members
    for _ in range(max_reps):
        if len(rest) < 2:
            break
        rep = rest[0]
        sims = (sig[rest] == sig[rep]).mean(axis=1)
        close = sims >= threshold
        for m in rest[close][1:]:
            uf.union(int(cand[rep]), int(cand[m]))
        rest = rest[~close]


def _group(items: list, owner: np.ndarray, utexts: list[str], members: list[int]) -> dict:
    """One campaign: its members, and as its sample the most common normalised variant."""
    counts: dict[int, int] = {}
    for i in members:
        counts[int(owner[i])] = counts.get(int(owner[i]), 0) + 1
    top_u = max(counts, key=lambda u: (counts[u], -u))
    sample_idx = next(i for i in members if owner[i] == top_u)
    key = hashlib.sha1(utexts[top_u].encode("utf-8")).hexdigest()[:16]
    return {
        "key": key,
        "size": len(members),
        "member_ids": [items[i][0] for i in members],
        "sample_text": items[sample_idx][1],
        "n_variants": len(counts),
    }
