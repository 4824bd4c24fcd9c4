"""A consultation's tuned sentence model as stored (`analysis_tunings`), read back for the models to use.

The stored weights are used while the codebook's theme keys are those they were tuned with (`codebook_version`):
pairs of "same theme" mean nothing under other keys. The decoded encoder is kept in memory per process by its
tag (consultation, time of tuning), so a refit does not decode the blob again.
"""

import hashlib
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.engine import CodebookSpec
from consultation.analysis.engine.finetune import TunedEncoder
from consultation.analysis.models import AnalysisTuning

_decoded: dict[str, TunedEncoder] = {}
_decoded_lock = threading.Lock()


def codebook_version(codebook: CodebookSpec) -> str:
    """What a tuning depends on in the codebook: its active theme keys, hashed."""
    return hashlib.sha1("\x1f".join(sorted(codebook.keys)).encode()).hexdigest()


def tuned_tag(session: Session, consultation_id: int, codebook: CodebookSpec) -> str | None:
    """The tag of the stored tuning that fits the current codebook, or None (the untuned model codes)."""
    row = session.execute(
        select(AnalysisTuning.tuned_at, AnalysisTuning.codebook_version).where(
            AnalysisTuning.consultation_id == consultation_id, AnalysisTuning.weights.is_not(None)
        )
    ).first()
    if row is None or row.tuned_at is None or row.codebook_version != codebook_version(codebook):
        return None
    return f"{consultation_id}@{row.tuned_at.isoformat()}"


def load_encoder(session: Session, consultation_id: int, tag: str | None) -> TunedEncoder | None:
    """The stored tuned encoder under `tag` (decoded once per process), or None."""
    if tag is None:
        return None
    with _decoded_lock:
        if tag in _decoded:
            return _decoded[tag]
    blob = session.scalar(select(AnalysisTuning.weights).where(AnalysisTuning.consultation_id == consultation_id))
    if blob is None:
        return None
    encoder = TunedEncoder.from_bytes(blob)
    with _decoded_lock:
        for old in [key for key in _decoded if key.startswith(f"{consultation_id}@")]:
            del _decoded[old]
        _decoded[tag] = encoder
    return encoder
