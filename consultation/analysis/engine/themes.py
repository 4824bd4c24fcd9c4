"""Multi-label theme coding: zero-shot from the codebook, blended with learnt classifiers after fit()."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from .codebook import CodebookSpec
from .lexicon import expand
from .text import STOPWORDS, content_stems, split_analyser

# words that describe *how* a description is written rather than what it is about
_DESC_STOP = frozenset(
    """
eg e.g example examples such like including include includes etc about concerns concern concerned arguments
argument emphasis emphasizing emphasising focus suggestions suggestion proposals proposal approaches approach
ideas idea respondent respondents response responses people person things thing other others use using used
need needs whether reach remaining rather than""".split()
)


def _doc_terms(text: str) -> list[str]:
    return expand(content_stems(text))


def _model_doc(text: str) -> str:
    stems = content_stems(text)
    bi = [a + "_" + b for a, b in zip(stems, stems[1:], strict=False)]
    return " ".join(["__bias__"] + expand(stems) + bi)


class ThemeModel:
    """Theme coder for one codebook.

    Zero-shot: each theme's label (double weight), description and examples become a weighted bag of stems
    plus semantic-field tokens; a response scores by cosine overlap, squashed into 0..1. After :meth:`fit`,
    a per-theme logistic regression over TF-IDF n-grams (+ the zero-shot score as a feature) is blended with
    the zero-shot score in proportion to how many positive examples the theme had.
    """

    def __init__(self, codebook: CodebookSpec, threshold: float = 0.5, prior_strength: float = 8.0):
        self.codebook = codebook
        self.keys = codebook.keys
        self.threshold = threshold
        self.prior_strength = prior_strength
        self.min_one_ratio = 0.6  # also keep the best theme if it reaches this fraction of the threshold
        self._fallback = np.array([t.is_fallback for t in codebook.themes], dtype=bool)
        self._build_prototypes()
        self._vec = None
        self._clfs: list = []
        self._npos = np.zeros(len(self.keys))
        self.n_train = 0
        # zero-shot squashing: conf = 1 - exp(-(cos / scale)^2 ... ) ; calibrated per theme after fit
        self._zs_a = np.full(len(self.keys), 9.0)
        self._zs_b = np.full(len(self.keys), -0.85)

    # ------------------------------------------------------------------ zero-shot
    def _build_prototypes(self) -> None:
        vocab: dict[str, int] = {}
        rows: list[Counter] = []
        for th in self.codebook.themes:
            c: Counter = Counter()
            for term in _doc_terms(th.label):
                c[term] += 2.0
            if not th.label.strip() or th.label == th.key:
                pass
            for term in _doc_terms(th.description):
                c[term] += 1.0
            for ex in th.examples:
                for term in set(_doc_terms(ex)):
                    c[term] += 1.0 / max(1.0, len(th.examples) ** 0.5)
            for w in list(c):
                if w in _DESC_STOP or w in STOPWORDS:
                    del c[w]
            rows.append(c)
        df: Counter = Counter()
        for c in rows:
            df.update(set(c))
        k = max(1, len(rows))
        data, ri, ci = [], [], []
        for r, c in enumerate(rows):
            for term, tf in c.items():
                j = vocab.setdefault(term, len(vocab))
                idf = np.log(1.0 + k / df[term])
                wt = (0.5 if term.startswith("@") else 1.0) * np.sqrt(tf) * idf
                data.append(wt)
                ri.append(r)
                ci.append(j)
        P = sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), max(1, len(vocab))), dtype=np.float64)
        norms = np.sqrt(np.asarray(P.multiply(P).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._proto = sparse.diags(1.0 / norms) @ P
        self._proto_vocab = vocab

    def _text_matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        vocab = self._proto_vocab
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for t in texts:
            terms = _doc_terms(t)
            idx = {vocab[w] for w in terms if w in vocab}
            n = len(set(terms))
            indices.extend(idx)
            val = 1.0 / np.sqrt(n + 4.0)
            data.extend([val] * len(idx))
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (data, indices, indptr), shape=(len(texts), self._proto.shape[1]), dtype=np.float64
        )

    def zero_shot_raw(self, texts: Sequence[str]) -> np.ndarray:
        """Cosine-like similarity (n, k) of each text to each theme prototype."""
        X = self._text_matrix(texts)
        S = np.asarray((X @ self._proto.T).todense())
        S[:, self._fallback] = 0.0
        return S

    def _squash(self, raw: np.ndarray) -> np.ndarray:
        z = raw * self._zs_a[None, :] + self._zs_b[None, :]
        return 1.0 / (1.0 + np.exp(-z))

    # ------------------------------------------------------------------ learnt
    def _features(self, texts: Sequence[str], fit: bool = False):
        docs = [_model_doc(t) for t in texts]
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._vec = TfidfVectorizer(
                analyzer=split_analyser, sublinear_tf=True, min_df=1, dtype=np.float32
            )
            return self._vec.fit_transform(docs)
        return self._vec.transform(docs)

    def _fit_core(self, texts, Y: np.ndarray, raw: np.ndarray):
        from sklearn.linear_model import LogisticRegression

        X = self._features(texts, fit=True)
        clfs = []
        for j in range(len(self.keys)):
            y = Y[:, j]
            if y.sum() == 0 or y.sum() == len(y):
                clfs.append(None)
                continue
            Xj = sparse.hstack([X, sparse.csr_matrix(raw[:, [j]] * 3.0)], format="csr")
            clf = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", max_iter=500)
            clf.fit(Xj, y)
            clfs.append(clf)
        return clfs

    def _calibrate_zero_shot(self, raw: np.ndarray, Y: np.ndarray) -> None:
        """Per-theme Platt scaling of the zero-shot similarity, shrunk towards the default."""
        from sklearn.linear_model import LogisticRegression

        for j in range(len(self.keys)):
            npos = int(Y[:, j].sum())
            if npos < 3 or npos == len(Y):
                continue
            lr = LogisticRegression(C=1.0, class_weight="balanced", solver="liblinear")
            lr.fit(raw[:, [j]], Y[:, j])
            a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
            if a <= 0:
                continue
            s = npos / (npos + 10.0)
            self._zs_a[j] = (1 - s) * self._zs_a[j] + s * a
            self._zs_b[j] = (1 - s) * self._zs_b[j] + s * b

    def _blend(self, texts, raw: np.ndarray, clfs, npos: np.ndarray) -> np.ndarray:
        P0 = self._squash(raw)
        if not clfs or self._vec is None:
            return P0
        X = self._features(texts)
        out = P0.copy()
        for j, clf in enumerate(clfs):
            if clf is None:
                continue
            Xj = sparse.hstack([X, sparse.csr_matrix(raw[:, [j]] * 3.0)], format="csr")
            pl = clf.predict_proba(Xj)[:, 1]
            a = npos[j] / (npos[j] + self.prior_strength)
            out[:, j] = a * pl + (1 - a) * P0[:, j]
        return out

    def fit(self, texts: Sequence[str], theme_sets: Sequence[Sequence[str]]):
        texts = list(texts)
        idx = {k: j for j, k in enumerate(self.keys)}
        Y = np.zeros((len(texts), len(self.keys)), dtype=int)
        for i, ts in enumerate(theme_sets):
            for t in ts:
                if t in idx:
                    Y[i, idx[t]] = 1
        self.n_train = len(texts)
        if not texts:
            return self
        raw = self.zero_shot_raw(texts)
        self._calibrate_zero_shot(raw, Y)
        # choose threshold / min-one rule on out-of-fold predictions (subsample for large sets)
        n = len(texts)
        if n >= 20:
            rng = np.random.default_rng(0)
            sub = rng.permutation(n)[: min(n, 3000)]
            folds = np.array_split(sub, 3)
            oof = np.zeros((len(sub), len(self.keys)))
            pos = {i: p for p, i in enumerate(sub)}
            for f in range(3):
                te = folds[f]
                tr = np.concatenate([folds[g] for g in range(3) if g != f])
                clfs = self._fit_core([texts[i] for i in tr], Y[tr], raw[tr])
                npos = Y[tr].sum(axis=0)
                oof[[pos[i] for i in te]] = self._blend([texts[i] for i in te], raw[te], clfs, npos)
            self.threshold, self.min_one_ratio = self._choose_threshold(oof, Y[sub])
        self._clfs = self._fit_core(texts, Y, raw)
        self._npos = Y.sum(axis=0)
        return self

    @staticmethod
    def _apply_threshold(P: np.ndarray, thr: float, min_one: float) -> np.ndarray:
        pred = P >= thr
        if min_one < 1.0 and P.shape[1]:
            best = P.argmax(axis=1)
            none = ~pred.any(axis=1)
            ok = none & (P[np.arange(len(P)), best] >= thr * min_one)
            pred[np.where(ok)[0], best[ok]] = True
        return pred

    def _choose_threshold(self, P: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
        best = (-1.0, self.threshold, self.min_one_ratio)
        for thr in np.arange(0.2, 0.81, 0.05):
            for mo in (1.0, 0.75, 0.5):
                pred = self._apply_threshold(P, thr, mo)
                tp = (pred & (Y == 1)).sum()
                fp = (pred & (Y == 0)).sum()
                fn = (~pred & (Y == 1)).sum()
                f1 = 2 * tp / max(1, 2 * tp + fp + fn)
                if f1 > best[0] + 1e-9:
                    best = (f1, float(thr), mo)
        return best[1], best[2]

    # ------------------------------------------------------------------ public
    def predict_scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        P = self.predict_scores_matrix(texts)
        return [{k: float(round(P[i, j], 4)) for j, k in enumerate(self.keys)} for i in range(len(P))]

    def predict_scores_matrix(self, texts: Sequence[str], batch_size: int = 4096) -> np.ndarray:
        """(n, k) confidences for every theme, columns in codebook order."""
        texts = list(texts)
        if len(texts) > batch_size:  # batches keep the per-text normalisation caches warm
            parts = [
                self.predict_scores_matrix(texts[i : i + batch_size], batch_size)
                for i in range(0, len(texts), batch_size)
            ]
            return np.vstack(parts)
        raw = self.zero_shot_raw(texts)
        return self._blend(texts, raw, self._clfs, self._npos)

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        P = self.predict_scores_matrix(texts)
        pred = self._apply_threshold(P, self.threshold, self.min_one_ratio)
        out = []
        for i in range(len(P)):
            d = {self.keys[j]: float(round(P[i, j], 4)) for j in np.where(pred[i])[0]}
            out.append(dict(sorted(d.items(), key=lambda kv: -kv[1])))
        return out
