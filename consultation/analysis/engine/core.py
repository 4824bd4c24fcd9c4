"""The engine's public face: ``Engine(codebook).fit(labelled)``, ``.code(texts)``, ``.evaluate(records)``.

One object holds a consultation's stance and theme models, shares one embedding cache between them and
codes texts in one pass (sentence vectors are computed once per text, not once per model).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .active import rank_for_coding, stance_uncertainty, theme_uncertainty
from .codebook import CodebookSpec
from .embedding import embed, model_available, model_status
from .flags import detect_flags, redact
from .scoring import caches_for, evaluate, proposal_text
from .stance import StanceModel
from .themes import ThemeModel


@dataclass(frozen=True)
class CodedResponse:
    """The machine's reading of one text."""

    stance: str
    stance_confidence: float
    themes: dict[str, float] = field(default_factory=dict)
    pii: bool = False
    abusive: bool = False
    redacted_text: str = ""


class Engine:
    """Stance, themes and flags for one consultation's codebook.

    ``use_model`` None uses the sentence model when it is installed; ``cache`` is any mutable mapping from
    :func:`~.embedding.text_key` to vectors (a dict, or a store the caller persists), shared by both models;
    None uses the process's own cache. ``encoder``, the sentence model tuned on the consultation's codings
    (finetune.py), gives the models named in ``constants.TUNED_PARTS`` its vectors; None codes untuned.
    """

    def __init__(
        self,
        codebook: CodebookSpec,
        proposal: str | None = None,
        use_model: bool | None = None,
        cache: MutableMapping | None = None,
        encoder=None,
    ):
        self.codebook = codebook
        self.use_model = model_available() if use_model is None else use_model
        self.cache = cache
        self.proposal = proposal_text(codebook) if proposal is None else proposal
        self.encoder = encoder if self.use_model else None
        stance_cache, theme_cache = caches_for(self.encoder, cache)
        self.stance = StanceModel(proposal=self.proposal, use_model=self.use_model, cache=stance_cache)
        self.themes = ThemeModel(codebook, use_model=self.use_model, cache=theme_cache)

    @property
    def status(self) -> dict:
        """Whether the sentence model is in use, and why not."""
        status = model_status()
        if status["available"] and not self.use_model:
            status = {**status, "available": False, "reason": "switched off", "mode": "words only (lower accuracy)"}
        return status

    def vectors(self, texts: Sequence[str]) -> np.ndarray | None:
        return embed(texts, cache=self.cache) if self.use_model and len(texts) else None

    def fit(self, labelled: Sequence[dict], weights: Sequence[float] | None = None) -> Engine:
        """Learn from records ``{"text", "stance", "themes"}``; a record without "themes" trains stance only."""
        labelled = [r for r in labelled if r.get("text")]
        with_stance = [
            (r, w) for r, w in zip(labelled, weights or [1.0] * len(labelled), strict=True) if r.get("stance")
        ]
        if with_stance:
            self.stance.fit(
                [r["text"] for r, _ in with_stance], [r["stance"] for r, _ in with_stance], [w for _, w in with_stance]
            )
        with_themes = [r for r in labelled if "themes" in r]
        if with_themes and self.codebook.themes:
            self.themes.fit([r["text"] for r in with_themes], [r["themes"] for r in with_themes])
        return self

    def code(self, texts: Sequence[str]) -> list[CodedResponse]:
        """Code each text: stance with confidence, themes with confidence, flags and the redacted text."""
        texts = [t or "" for t in texts]
        vectors = self.vectors(texts)
        stances = self.stance.predict(texts)
        themes = self.themes.predict(texts, vectors) if self.codebook.themes else [{} for _ in texts]
        out = []
        for text, (stance, confidence), found in zip(texts, stances, themes, strict=True):
            flags = detect_flags(text)
            flagged = flags["pii"] or flags["abusive"]
            out.append(
                CodedResponse(
                    stance, confidence, found, flags["pii"], flags["abusive"], redact(text) if flagged else text
                )
            )
        return out

    def next_to_code(self, candidates: Sequence[str], coded: Sequence[str] = (), n: int = 20) -> list[int]:
        """Indices of the ``n`` candidates whose coding would teach the models most."""
        candidates = list(candidates)
        if not candidates:
            return []
        model_vectors = vectors = self.vectors(candidates)
        coded_vectors = self.vectors(list(coded)) if coded else None
        if vectors is None:  # words only: TF-IDF rows stand in for sentence vectors
            from sklearn.feature_extraction.text import TfidfVectorizer

            words = TfidfVectorizer(sublinear_tf=True).fit(candidates + list(coded))
            vectors = words.transform(candidates).toarray()
            coded_vectors = words.transform(list(coded)).toarray() if coded else None
        uncertainty = stance_uncertainty(self.stance.predict_proba(candidates))
        if self.codebook.themes:
            scores = self.themes.predict_scores_matrix(candidates, model_vectors)
            uncertainty = (uncertainty + theme_uncertainty(scores, self.themes.threshold)) / 2
        return rank_for_coding(uncertainty, vectors, coded_vectors, n=n)

    def evaluate(self, test_records: Sequence[dict], train_records: Sequence[dict] | None = None) -> dict:
        """Score this engine's settings on labelled records (training on ``train_records`` first)."""
        return evaluate(
            test_records, self.codebook, train_records, use_model=self.use_model, cache=self.cache, encoder=self.encoder
        )
