"""The machine's coding of texts: stance, themes, flags and redaction, inline or in a pool of processes.

Large runs code batches in a pool of processes; small ones, and runs inside daemonic workers (Celery's prefork
children cannot have children), code inline. Sentence vectors go through the models' cache (`StoredVectors`): the
run preloads the stored ones, the models embed the rest once (stance and themes share them), and a worker process
hands its new vectors back for the run to store.
"""

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from consultation.analysis.engine import StanceModel, ThemeModel, detect_flags, redact
from consultation.analysis.service import tuning
from consultation.analysis.service.fitting import Models


@dataclass(frozen=True)
class Coded:
    """The machine's output for one text."""

    stance: str | None
    stance_confidence: float | None
    themes: dict[str, float]
    pii: bool
    abusive: bool
    redacted_text: str | None


def code_texts(stance_model: StanceModel, theme_model: ThemeModel | None, items: list[tuple[str, bool]]) -> list[Coded]:
    """Code (text, needs_stance) pairs; identical texts (template letters) are coded once."""
    unique: dict[str, int] = {}
    for text, _ in items:
        if text:
            unique.setdefault(text, len(unique))
    texts = list(unique)
    needing_stance = sorted({unique[text] for text, needs in items if text and needs})
    predicted = stance_model.predict([texts[i] for i in needing_stance]) if needing_stance else []
    stances = dict(zip(needing_stance, predicted, strict=True))
    themes = theme_model.predict(texts) if theme_model is not None and texts else [{} for _ in texts]
    flags = [detect_flags(text) for text in texts]
    redacted = [
        redact(text) if flag["pii"] or flag["abusive"] else text for text, flag in zip(texts, flags, strict=True)
    ]
    coded = []
    for text, needs in items:
        if not text:
            coded.append(Coded(None, None, {}, False, False, None))
            continue
        index = unique[text]
        stance, confidence = stances[index] if needs else (None, None)
        flag = flags[index]
        coded.append(Coded(stance, confidence, themes[index], flag["pii"], flag["abusive"], redacted[index]))
    return coded


_worker_models: tuple | None = None


def _init_worker(blob: bytes) -> None:
    global _worker_models
    _worker_models = pickle.loads(blob)


def code_in_worker(items: list[tuple[str, bool]], known: dict[str, np.ndarray]) -> tuple[list[Coded], dict]:
    """Code in a pool process: `known` are the stored vectors of these texts; returns the new ones too."""
    stance_model, theme_model, vectors = _worker_models
    vectors.clear()
    vectors.hold(known)
    coded = code_texts(stance_model, theme_model, items)
    fresh = vectors.new_vectors()
    vectors.clear()
    return coded, fresh


def pool_for(models: Models, workers: int, texts_to_code: int) -> ProcessPoolExecutor | None:
    if workers <= 1 or texts_to_code < tuning.PARALLEL_MIN_TEXTS or multiprocessing.current_process().daemon:
        return None
    models.vectors.clear()
    blob = pickle.dumps((models.stance, models.themes, models.vectors))
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(blob,),
    )
