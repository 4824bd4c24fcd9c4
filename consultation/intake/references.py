"""Response references: what a respondent reads aloud or copies from paper to find their response again.

Every writer of responses (the online form and API, imports, filed submissions) takes its references from
this module, drawn at random. Batch writers (imports, filed submissions) take `allocate_references`, which looks
the drawn ones up and draws again for any already stored. The online form writes one response at a time and
takes `draw_reference` with no lookup (one round trip less on the busiest path): the unique constraint on
`responses.reference` is the last word for every writer, and the online writer draws again when it refuses.
"""

import re
import secrets

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from consultation.intake.models import Response

# Easy to read aloud and to copy from paper: no 0/O, 1/I/L, and no U (so no accidental words).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 10  # 30**10, about 5.9e14 references
# Bytes below 240 (= 8 x 30) map onto the alphabet without bias; the rest are thrown away.
UNBIASED_BYTES = 256 - 256 % len(REFERENCE_ALPHABET)
LOOKUP_CHUNK = 500


# Each byte below 240 stands for the letter at (byte mod 30); the others are deleted.
_LETTERS = "".join(REFERENCE_ALPHABET[byte % len(REFERENCE_ALPHABET)] for byte in range(256)).encode()
_THROWN = bytes(range(UNBIASED_BYTES, 256))


def draw_references(count: int) -> list[str]:
    """`count` random references, e.g. 'PA7K-M9TQ-X4', from one read of the system's randomness."""
    references: list[str] = []
    while len(references) < count:
        data = secrets.token_bytes((count - len(references)) * REFERENCE_LENGTH * 2)
        chars = data.translate(_LETTERS, _THROWN).decode("ascii")
        for start in range(0, len(chars) - REFERENCE_LENGTH + 1, REFERENCE_LENGTH):
            if len(references) == count:
                break
            code = chars[start : start + REFERENCE_LENGTH]
            references.append(f"{code[:4]}-{code[4:8]}-{code[8:]}")
    return references


def draw_reference() -> str:
    """One reference for a single write, with no lookup: the write's unique constraint refuses a clash (about one
    chance in 10**9 with a million stored), and the writer draws again."""
    return draw_references(1)[0]


def allocate_references(session: Session, count: int) -> list[str]:
    """`count` new references, distinct among themselves and from every stored response's."""
    chosen: list[str] = []
    while len(chosen) < count:
        candidates = [reference for reference in dict.fromkeys(draw_references(count - len(chosen)))]
        candidates = [reference for reference in candidates if reference not in chosen]
        taken = _stored(session, candidates)
        chosen.extend(reference for reference in candidates if reference not in taken)
    return chosen


def _stored(session: Session, candidates: list[str]) -> set[str]:
    """The candidates some stored response already has: one look-up on PostgreSQL (an array), else in chunks."""
    if session.get_bind().dialect.name == "postgresql":
        return set(
            session.scalars(text("SELECT reference FROM responses WHERE reference = ANY(:refs)"), {"refs": candidates})
        )
    taken: set[str] = set()
    for start in range(0, len(candidates), LOOKUP_CHUNK):
        chunk = candidates[start : start + LOOKUP_CHUNK]
        taken.update(session.scalars(select(Response.reference).where(Response.reference.in_(chunk))))
    return taken


def normalise_reference(text: str) -> str:
    """Accepts 'pa7k m9tq x4' or 'PA7KM9TQX4' as typed by a person; returns the stored form."""
    compact = re.sub(r"[\s-]+", "", str(text)).upper()
    if len(compact) != REFERENCE_LENGTH:
        return compact
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"
