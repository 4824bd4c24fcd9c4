"""The signers CSV: the petition owner's own list of who signed, personal data included, so owner only.

Nothing else that leaves the service (totals, exports, PDFs) carries a signer's name, email or full postcode;
this file is the one exception, asked for by the owner, audited, and safe to open in a spreadsheet.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.clock import iso_utc
from consultation.petitions.models import Signature
from consultation.petitions.service import get_petition
from consultation.petitions.signers import signature_status
from consultation.tabular import csv_text

HEADER = ["id", "channel", "name", "email", "postcode", "pack", "signed_at", "confirmed_at", "status"]


def signers_csv(session: Session, user: User, petition_id) -> tuple[str, str]:
    """(filename, CSV text) of every signature; only the petition's owning organiser may have it."""
    petition = get_petition(session, petition_id)
    permissions.ensure_only_owner(user, petition, "petition")
    signatures = session.scalars(
        select(Signature)
        .where(Signature.petition_id == petition.id)
        .options(selectinload(Signature.pack))
        .order_by(Signature.signed_at, Signature.id)
    )
    rows = [
        [
            signature.id,
            signature.channel,
            signature.name,
            signature.email,
            signature.postcode,
            signature.pack.code if signature.pack else None,
            iso_utc(signature.signed_at),
            iso_utc(signature.confirmed_at) if signature.confirmed_at else None,
            signature_status(signature),
        ]
        for signature in signatures
    ]
    record_audit(session, user, "export_personal_data", "petition_signatures", petition.id, {"rows": len(rows)})
    session.commit()
    return f"petition-{petition.id}-signers.csv", csv_text(HEADER, rows)
