"""Verifying a document someone holds: is it, byte for byte, a filed submission?

The answer names the organisation that filed it, when (the server's clock at filing) and for which consultation,
never a person. A document is compared by its SHA-256, so an uploaded file is hashed as it is read, in chunks,
and never kept; it may be at most `VERIFY_MAX_BYTES` long.
"""

import hashlib
from typing import BinaryIO

from sqlalchemy.orm import Session

from consultation.catalog.service import get_consultation
from consultation.errors import ApiError, ValidationFailed
from consultation.submissions import service

VERIFY_MAX_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
PDF_SIGNATURE = b"%PDF-"


class DocumentTooLarge(ApiError):
    def __init__(self):
        super().__init__(
            413, "payload_too_large", f"The document may be at most {VERIFY_MAX_BYTES // (1024 * 1024)} MB."
        )


def document_sha256(stream: BinaryIO, *, max_bytes: int | None = None) -> str:
    """The SHA-256 of a PDF read from the stream; 422 when it is empty or not a PDF, 413 when too long."""
    max_bytes = max_bytes or VERIFY_MAX_BYTES
    digest, size, first = hashlib.sha256(), 0, b""
    while chunk := stream.read(CHUNK_BYTES):
        if not first:
            first = chunk[: len(PDF_SIGNATURE)]
        size += len(chunk)
        if size > max_bytes:
            raise DocumentTooLarge()
        digest.update(chunk)
    if size == 0:
        raise ValidationFailed({"document": ["The file is empty. Choose the PDF you were sent."]})
    if not first.startswith(PDF_SIGNATURE):
        raise ValidationFailed({"document": ["The file is not a PDF. Choose the submission's PDF file."]})
    return digest.hexdigest()


def verify_document(session: Session, *, stream: BinaryIO | None = None, sha256: str | None = None) -> dict:
    """Verify an uploaded PDF or a pasted SHA-256 (exactly one of them); a filed answer also carries the
    consultation's title."""
    if stream is None and not sha256:
        raise ValidationFailed({"document": ["Choose a PDF file, or paste its SHA-256."]})
    if stream is not None and sha256:
        raise ValidationFailed({"document": ["Give the PDF file or its SHA-256, not both."]})
    digest = document_sha256(stream) if stream is not None else sha256
    result = service.verify(session, digest)
    if result["filed"]:
        result["consultation_title"] = get_consultation(session, result["consultation"]).title
    return result
