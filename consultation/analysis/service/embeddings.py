"""Sentence-model vectors kept in the database by text hash, so a re-code (or a second run) embeds nothing again.

The engine's models take a `cache`: any mutable mapping from the engine's `text_key` to a vector. `StoredVectors`
is that mapping in front of the `text_embeddings` table. A consultation's models keep one for their lifetime
(it holds no session, so cached models outlive the run that fitted them): before coding a batch the run
`preload`s the batch's stored vectors in one query, the engine reads them and adds what it had to embed, and
`save` writes the new ones in one bulk insert that skips keys another process stored meanwhile (two runs may
embed the same template letter); `clear` then frees the memory, since the table keeps them.
"""

from collections.abc import Iterable, Iterator, MutableMapping

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.engine.embedding import text_key
from consultation.analysis.models import TextEmbedding
from consultation.analysis.service import tuning
from consultation.analysis.service.inputs import chunks
from consultation.bulk import insert_rows
from consultation.clock import now

_table = TextEmbedding.__table__


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()


class StoredVectors(MutableMapping):
    """The engine's embedding cache, backed by `text_embeddings`; in memory between `preload` and `save`."""

    def __init__(self) -> None:
        self._vectors: dict[str, np.ndarray] = {}
        self._new: set[str] = set()
        self.hits = 0
        self.misses = 0

    def preload(self, session: Session, keys: Iterable[str]) -> int:
        """Read the stored vectors of `keys` (those not already in memory); how many were found."""
        wanted = sorted({key for key in keys if key not in self._vectors})
        found = 0
        for chunk in chunks(wanted, tuning.BATCH_SIZE):
            for key, blob in session.execute(select(_table.c.key, _table.c.vector).where(_table.c.key.in_(chunk))):
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

    def hold(self, vectors: dict[str, np.ndarray]) -> None:
        """Keep vectors that are stored already (handed over from the run), without marking them new."""
        self._vectors.update(vectors)

    def known(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The vectors held for these texts, by key (what a worker process is handed)."""
        keys = {text_key(text) for text in texts if text}
        return {key: self._vectors[key] for key in keys if key in self._vectors}

    def new_vectors(self) -> dict[str, np.ndarray]:
        """The vectors added since the last save (what a worker process hands back to be stored)."""
        return {key: self._vectors[key] for key in self._new}

    def clear(self) -> None:
        """Forget every vector held in memory (after `save`, the table has them)."""
        self._vectors.clear()
        self._new.clear()

    def save(self, session: Session) -> int:
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
            insert_rows(session, _table, chunk, ignore_conflicts=True)
        self._new.clear()
        return len(rows)


def preload_texts(session: Session, store: StoredVectors, texts: Iterable[str]) -> int:
    """Read the stored vectors of these texts into `store`; how many were found."""
    return store.preload(session, (text_key(text) for text in texts if text))
