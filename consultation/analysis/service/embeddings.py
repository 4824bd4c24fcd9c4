"""Sentence-model vectors kept in the database by text hash, so a re-code (or a second run) embeds nothing again.

The engine's `embed(texts, cache=...)` takes any mutable mapping from its text key to a vector. `StoredVectors`
is that mapping over the `text_embeddings` table: `preload` reads the keys a run needs in a few bulk queries, the
engine reads and fills the mapping in memory, and `save` writes the new vectors in one bulk insert that skips
keys another process stored meanwhile (two runs may embed the same template letter).
"""

import hashlib
from collections.abc import Iterable, Iterator, MutableMapping

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.models import TextEmbedding
from consultation.analysis.service import tuning
from consultation.analysis.service.inputs import chunks
from consultation.bulk import insert_rows
from consultation.clock import now

_table = TextEmbedding.__table__
# The engine's sentence model; with its name in every key, a different model never reads these vectors.
MODEL_NAME = "all-MiniLM-L6-v2"


def text_key(text: str) -> str:
    """The key of one text's vector: the model's name and the text, hashed (the engine's cache key)."""
    return hashlib.sha1(f"{MODEL_NAME}\x1f{text}".encode()).hexdigest()


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()


class StoredVectors(MutableMapping):
    """The engine's embedding cache, backed by `text_embeddings`; in memory between `preload` and `save`."""

    def __init__(self, session: Session):
        self.session = session
        self._vectors: dict[str, np.ndarray] = {}
        self._new: set[str] = set()
        self.hits = 0
        self.misses = 0

    def preload(self, keys: Iterable[str]) -> int:
        """Read the stored vectors of `keys` (those not already in memory); how many were found."""
        wanted = sorted({key for key in keys if key not in self._vectors})
        found = 0
        for chunk in chunks(wanted, tuning.BATCH_SIZE):
            for key, blob in self.session.execute(select(_table.c.key, _table.c.vector).where(_table.c.key.in_(chunk))):
                self._vectors[key] = vector_from_bytes(blob)
                found += 1
        return found

    def __getitem__(self, key: str) -> np.ndarray:
        vector = self._vectors.get(key)
        if vector is None:
            self.misses += 1
            raise KeyError(key)
        self.hits += 1
        return vector

    def __setitem__(self, key: str, vector: np.ndarray) -> None:
        self._vectors[key] = np.asarray(vector, dtype=np.float32)
        self._new.add(key)

    def __delitem__(self, key: str) -> None:
        del self._vectors[key]
        self._new.discard(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._vectors)

    def __len__(self) -> int:
        return len(self._vectors)

    def save(self) -> int:
        """Write the vectors added since the last save (the caller commits); how many were new here."""
        moment = now()
        rows = [
            {
                "key": key,
                "dimensions": int(self._vectors[key].shape[0]),
                "vector": vector_bytes(self._vectors[key]),
                "created_at": moment,
            }
            for key in sorted(self._new)
        ]
        for chunk in chunks(rows, tuning.BATCH_SIZE):
            insert_rows(self.session, _table, chunk, ignore_conflicts=True)
        self._new.clear()
        return len(rows)
