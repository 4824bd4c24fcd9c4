"""Idempotency keys: a retried write with the same key returns the first result instead of writing again.

A key is scoped to the method and path (which names the consultation), so the same key may be used on two
consultations. The first successful result is stored in the same transaction as the write it describes, under
a unique (scope, key) constraint: two concurrent requests with one key cannot both commit, and the loser
re-reads the winner's row and replays it. The row also keeps a hash of who sent the first request: a replay to
anyone else gives the result (the reference) but not its secrets (the edit token). Only successful writes are
remembered; a refused request (422, 409) wrote nothing, so retrying it with the same key is simply tried again.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consultation.clock import now
from consultation.errors import Conflict
from consultation.intake.models import IdempotencyKey


@dataclass(frozen=True)
class IdempotencyRequest:
    scope: str  # e.g. "POST /api/v1/consultations/public-access-demo/responses"
    key: str
    request_hash: str
    # Server secret used to re-derive the edit token on replay, so the token is never stored in plain text.
    secret: str = ""
    # Who is asking (caller_fingerprint()): a replay gives secrets only to the caller who made the first request.
    caller_hash: str = ""


def request_hash(payload) -> str:
    """sha256 of the canonical JSON of a request body (keys sorted), or of raw bytes."""
    if isinstance(payload, bytes):
        return hashlib.sha256(payload).hexdigest()
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_previous(session: Session, request: IdempotencyRequest) -> IdempotencyKey | None:
    """The stored result for this key, None if the key is new; 409 if it was used with a different body."""
    stored = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == request.scope, IdempotencyKey.key == request.key)
    )
    if stored is None:
        return None
    if not hmac.compare_digest(stored.request_hash, request.request_hash):
        raise Conflict(
            "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
            code="idempotency_key_reused",
            errors={"Idempotency-Key": ["Already used with a different request body."]},
        )
    return stored


def caller_fingerprint(authorization: str | None, remote_address: str | None) -> str:
    """Who sent a request: their bearer token if they gave one, else their address (hashed, never stored raw)."""
    who = f"token:{authorization}" if authorization else f"address:{remote_address or ''}"
    return hashlib.sha256(who.encode()).hexdigest()


def remember(session: Session, request: IdempotencyRequest, status: int, body: dict) -> None:
    """Store the result in the caller's transaction; it commits (or fails) together with the write."""
    session.add(
        IdempotencyKey(
            scope=request.scope,
            key=request.key,
            request_hash=request.request_hash,
            caller_hash=request.caller_hash or None,
            response_status=status,
            response_body=body,
            created_at=now(),
        )
    )


def derived_secret(request: IdempotencyRequest, purpose: str) -> str:
    """A secret that the same key and body always give again (HMAC with the server secret), for replays."""
    message = f"{purpose}\n{request.scope}\n{request.key}\n{request.request_hash}".encode()
    digest = hmac.new(request.secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def purge_expired(session: Session, older_than: timedelta) -> int:
    """Forget keys older than `older_than`: a client retries within minutes, not months. Returns how many went."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now() - older_than))
    session.commit()
    return result.rowcount or 0
