"""Reading and reviewing signers: personal data, so only the owning organiser, reviewers and admins, and every
read or change leaves an audit event."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.clock import now
from consultation.errors import ValidationFailed
from consultation.petitions.models import Signature
from consultation.petitions.service import get_petition


def review_signatures(
    session: Session, user: User, petition_id, *, action: str, signature_ids: list[int], reason: str
) -> dict:
    """Invalidate or restore a batch of signatures (owner, reviewers, admins), with a reason; audited."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_read(user, petition, "petition")
    if action not in ("invalidate", "restore"):
        raise ValidationFailed({"action": ["Must be invalidate or restore."]})
    if not reason.strip():
        raise ValidationFailed({"reason": ["Give a reason: it is kept in the audit log."]})
    ids = sorted(set(signature_ids))
    found = set(
        session.scalars(select(Signature.id).where(Signature.petition_id == petition.id, Signature.id.in_(ids)))
    )
    missing = [signature_id for signature_id in ids if signature_id not in found]
    if missing:
        raise ValidationFailed({"signature_ids": [f"Not signatures of this petition: {missing}."]})
    at = now()
    if action == "invalidate":
        statement = (
            update(Signature)
            .where(Signature.id.in_(ids), Signature.invalidated_at.is_(None))
            .values(invalidated_at=at, invalidation_reason=reason.strip())
        )
    else:
        statement = (
            update(Signature)
            .where(Signature.id.in_(ids), Signature.invalidated_at.is_not(None))
            .values(invalidated_at=None, invalidation_reason=None)
        )
    changed = session.execute(statement).rowcount
    record_audit(
        session,
        user,
        f"{action}_signatures",
        "petition",
        petition.id,
        {"signature_ids": ids, "reason": reason.strip(), "changed": changed},
    )
    session.commit()
    return {"action": action, "requested": len(ids), "changed": changed}


def list_signatures(session: Session, user: User, petition_id, *, page: int, page_size: int) -> tuple[list, int]:
    """One page of a petition's signers with their personal data (owner, reviewers, admins); audited."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_read(user, petition, "petition")
    total = session.scalar(select(func.count(Signature.id)).where(Signature.petition_id == petition.id))
    rows = list(
        session.scalars(
            select(Signature)
            .where(Signature.petition_id == petition.id)
            .order_by(Signature.signed_at, Signature.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    items = [signature_item(row) for row in rows]
    record_audit(
        session,
        user,
        "read_personal_data",
        "petition_signatures",
        petition.id,
        {"page": page, "page_size": page_size, "signature_ids": [row.id for row in rows]},
    )
    session.commit()
    return items, total


def signature_status(signature: Signature) -> str:
    if signature.invalidated_at is not None:
        return "invalidated"
    if signature.confirmed_at is None:
        return "pending"
    return "flagged" if signature.flagged else "counted"


def signature_item(signature: Signature) -> dict:
    return {
        "id": signature.id,
        "channel": signature.channel,
        "name": signature.name,
        "email": signature.email,
        "postcode": signature.postcode,
        "gss_code": signature.gss_code,
        "pack": signature.pack.code if signature.pack_id else None,
        "signed_at": signature.signed_at,
        "confirmed_at": signature.confirmed_at,
        "status": signature_status(signature),
        "flag_reason": signature.flag_reason,
        "invalidation_reason": signature.invalidation_reason,
    }
