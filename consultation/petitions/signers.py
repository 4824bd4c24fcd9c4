"""Reading and reviewing signers: personal data, so only the owning organiser, reviewers and admins, and every
read or change leaves an audit event.

One review, four actions, each on a batch with a reason:
- "invalidate" takes signatures out of the total; "restore" puts invalidated ones back.
- "count" and "dont_count" decide signatures flagged as possible duplicates (duplicates.py) that are not yet
  decided: "count" clears the flag, so the signature counts; "dont_count" invalidates it with the reason and
  keeps the flag, so restoring it later returns it to the possible duplicates rather than to the total.
Signatures already in the state an action leaves are skipped, and the answer says how many changed.
"""

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.clock import now
from consultation.errors import ValidationFailed
from consultation.petitions.duplicates import resemblance
from consultation.petitions.models import DUPLICATE_ACTIONS, REVIEW_ACTIONS, Petition, Signature
from consultation.petitions.service import get_petition

# A possible duplicate not yet decided: confirmed (paper and imported rows are confirmed when entered), flagged,
# not invalidated.
UNDECIDED = (Signature.confirmed_at.is_not(None), Signature.flagged.is_(True), Signature.invalidated_at.is_(None))
MAX_LIKENESSES = 10  # signatures shown beside one flagged signature; the item says how many there are in all


def review_signatures(
    session: Session, user: User, petition_id, *, action: str, signature_ids: list[int], reason: str
) -> dict:
    """Invalidate or restore a batch of signatures, or count or don't count possible duplicates (owner,
    reviewers, admins), with a reason; audited."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_read(user, petition, "petition")
    if action not in REVIEW_ACTIONS:
        raise ValidationFailed({"action": [f"Must be one of: {', '.join(REVIEW_ACTIONS)}."]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Give a reason: it is kept in the audit log."]})
    ids = _signatures_of(session, petition, signature_ids)
    if action in DUPLICATE_ACTIONS:
        # The row lock confirmations take: counting one changes who counts, which a confirmation checks against.
        session.execute(select(Petition.id).where(Petition.id == petition.id).with_for_update())
    changed = session.execute(_review_statement(action, ids, reason)).rowcount
    record_audit(
        session,
        user,
        f"{action}_signatures",
        "petition",
        petition.id,
        {"signature_ids": ids, "reason": reason, "requested": len(ids), "changed": changed},
    )
    session.commit()
    return {"action": action, "requested": len(ids), "changed": changed}


def _signatures_of(session: Session, petition: Petition, signature_ids: list[int]) -> list[int]:
    """The ids, sorted and each once; a 422 naming any that is not a signature of this petition."""
    ids = sorted(set(signature_ids))
    found = set(
        session.scalars(select(Signature.id).where(Signature.petition_id == petition.id, Signature.id.in_(ids)))
    )
    missing = [signature_id for signature_id in ids if signature_id not in found]
    if missing:
        raise ValidationFailed({"signature_ids": [f"Not signatures of this petition: {missing}."]})
    return ids


def _review_statement(action: str, ids: list[int], reason: str):
    statement = update(Signature).where(Signature.id.in_(ids))
    if action == "invalidate":
        return statement.where(Signature.invalidated_at.is_(None)).values(
            invalidated_at=now(), invalidation_reason=reason
        )
    if action == "restore":
        return statement.where(Signature.invalidated_at.is_not(None)).values(
            invalidated_at=None, invalidation_reason=None
        )
    statement = statement.where(*UNDECIDED)
    if action == "count":
        return statement.values(flagged=False)
    return statement.values(invalidated_at=now(), invalidation_reason=reason)


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


def list_possible_duplicates(
    session: Session, user: User, petition_id, *, page: int, page_size: int
) -> tuple[list[dict], int]:
    """One page of the petition's possible duplicates not yet decided, oldest confirmed first, each beside the
    petition's other confirmed signatures it resembles (by the flagging rules: `duplicates.resemblance`), counted
    ones first. Name, postcode and the email's domain only, never the address (owner, reviewers, admins);
    audited as a read of personal data."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_read(user, petition, "petition")
    undecided = (Signature.petition_id == petition.id, *UNDECIDED)
    total = session.scalar(select(func.count(Signature.id)).where(*undecided))
    rows = list(
        session.scalars(
            select(Signature)
            .options(selectinload(Signature.pack))
            .where(*undecided)
            .order_by(Signature.confirmed_at, Signature.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    nearby = _nearby(session, petition, rows)
    items = [_flagged_item(row, nearby) for row in rows]
    shown = {row.id for row in rows} | {other["id"] for item in items for other in item["resembles"]}
    details = {"view": "possible duplicates", "page": page, "page_size": page_size, "signature_ids": sorted(shown)}
    record_audit(session, user, "read_personal_data", "petition_signatures", petition.id, details)
    session.commit()
    return items, total


def _nearby(session: Session, petition: Petition, flagged: list[Signature]) -> list[Signature]:
    """The petition's confirmed signatures at the postcodes of these flagged ones, or from their mailboxes."""
    if not flagged:
        return []
    near = Signature.postcode.in_(sorted({row.postcode for row in flagged}))
    mailboxes = sorted({row.mailbox_key for row in flagged if row.mailbox_key})
    if mailboxes:
        near = or_(near, Signature.mailbox_key.in_(mailboxes))
    return list(
        session.scalars(
            select(Signature)
            .options(selectinload(Signature.pack))
            .where(Signature.petition_id == petition.id, Signature.confirmed_at.is_not(None), near)
            .order_by(Signature.confirmed_at, Signature.id)
        )
    )


def _flagged_item(signature: Signature, nearby: list[Signature]) -> dict:
    alike = []
    for other in nearby:
        likeness = resemblance(signature, other) if other.id != signature.id else None
        if likeness is not None:
            alike.append({**signer_summary(other), "likeness": likeness})
    alike.sort(key=lambda other: other["status"] != "counted")  # stable: counted first, each in confirmed order
    return {
        "signature": {**signer_summary(signature), "flag_reason": signature.flag_reason},
        "resembles": alike[:MAX_LIKENESSES],
        "resembles_total": len(alike),
    }


def email_domain(email: str | None) -> str | None:
    """'Ada.Lovelace@Example.org' -> 'example.org': what the duplicates review shows of an address."""
    if not email:
        return None
    return email.rpartition("@")[2].lower() or None


def signer_summary(signature: Signature) -> dict:
    """A signer as the possible duplicates review shows them: the email's domain, never the address."""
    return {
        "id": signature.id,
        "channel": signature.channel,
        "name": signature.name,
        "postcode": signature.postcode,
        "email_domain": email_domain(signature.email),
        "pack": signature.pack.code if signature.pack_id else None,
        "signed_at": signature.signed_at,
        "confirmed_at": signature.confirmed_at,
        "status": signature_status(signature),
    }


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
