"""Petition rules: creating and changing petitions, signing online, confirming by email, reviewing signatures.

Counting each person once (signers' details are personal data, seen only by the owner, reviewers and admins):
- One signature per normalised email per petition: a unique index on (petition, email key) decides, so two
  concurrent signings with one address cannot both insert; the loser finds the winner's row and resends.
- A signature counts when it is confirmed (online; paper and imported rows are confirmed when entered), not
  flagged and not invalidated. Confirming takes the petition's row lock, then flags the signature for review
  when one that already counts shares its mailbox ('+tag' sub-addresses) or has the same or a close name at
  the same postcode (duplicates.py): so two racing confirmations of one person cannot both count.
- Totals are read from the rows by grouped queries (see totals.py), never kept in a counter.

Email goes through the outbox (consultation/outbox.py): the message is a row committed with the signature and
sent in the background, so signing answers the same whatever the mail server does.

The clock is read once per request by the caller and passed in as `at`.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.boroughs import Borough
from consultation.catalog import postcodes
from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import get_consultation
from consultation.clock import as_utc, describe_london, iso_utc, now
from consultation.common import token_hash
from consultation.errors import ApiError, Conflict, Forbidden, NotFound, ValidationFailed
from consultation.outbox import dispatch, queue_mail
from consultation.petitions import identity, totals
from consultation.petitions.duplicates import CountedPeople
from consultation.petitions.models import Petition, PetitionPack, Signature

CONFIRMATION_GRACE = timedelta(hours=24)  # a signature made before closing may be confirmed this long after
TOKEN_LIFETIME = timedelta(hours=24)  # a confirmation link works for a day; signing again sends a fresh one
TITLE_NEEDS_REASON = "People have signed this petition: say why its title changes (the reason is kept in its history)."


class PetitionClosed(ApiError):
    def __init__(self, petition: Petition):
        super().__init__(
            409,
            "petition_closed",
            f"This petition closed at {describe_london(petition.closes_at)} (London time).",
            errors={"closes_at": [iso_utc(petition.closes_at)]},
        )


@dataclass
class ConfirmationResult:
    """What happened to a confirmation link: 'confirmed', 'already_confirmed', 'expired' or 'unknown'."""

    outcome: str
    petition: Petition | None = None
    counted: bool = False


hash_token = token_hash


# Reading ------------------------------------------------------------------------------------------------------


def get_petition(session: Session, petition_id) -> Petition:
    """The petition, or NotFound (404) for an unknown or malformed id."""
    try:
        key = int(petition_id)
    except (TypeError, ValueError):
        raise NotFound("petition", str(petition_id)) from None
    petition = session.get(Petition, key) if 0 < key < 2**31 else None
    if petition is None:
        raise NotFound("petition", str(petition_id))
    return petition


def petition_status(petition: Petition, at: datetime | None = None) -> str:
    return "open" if as_utc(at or now()) < petition.closes_at else "closed"


def petitions_for(
    session: Session,
    consultation_slug: str | None = None,
    station_slugs: list[str] | None = None,
    owner: User | None = None,
    borough_code: str | None = None,
) -> list[Petition]:
    """Petitions, newest first, about a consultation, about any of some stations, in a borough, or by an owner."""
    query = select(Petition).order_by(Petition.created_at.desc(), Petition.id.desc())
    if consultation_slug is not None:
        query = query.where(Petition.consultation_id == get_consultation(session, consultation_slug).id)
    if station_slugs:
        query = query.where(Petition.stations.any(Station.slug.in_(list(station_slugs))))
    if borough_code is not None:
        query = query.where(Petition.stations.any(Station.borough.has(Borough.gss_code == borough_code)))
    if owner is not None:
        query = query.where(Petition.owner_id == owner.id)
    return list(session.scalars(query).unique())


def has_signatures(session: Session, petition: Petition) -> bool:
    signed = session.scalar(select(exists().where(Signature.petition_id == petition.id)))
    tallied = session.scalar(
        select(exists().where(PetitionPack.petition_id == petition.id, PetitionPack.signatures_counted.is_not(None)))
    )
    return bool(signed or tallied)


# Who may do what ---------------------------------------------------------------------------------------------


# Creating and changing -----------------------------------------------------------------------------------------


def _stations_for(session: Session, user: User, consultation: Consultation, slugs: list[str]) -> list[Station]:
    return permissions.resolve_stations(user, consultation.stations, slugs)


def _check_closing(consultation: Consultation, closes_at: datetime, at: datetime) -> datetime:
    closes_at = as_utc(closes_at)
    if closes_at > consultation.closes_at:
        raise ValidationFailed(
            {
                "closes_at": [
                    "A petition cannot close after its consultation, which closes at "
                    f"{describe_london(consultation.closes_at)} (London time)."
                ]
            }
        )
    if closes_at <= at:
        raise ValidationFailed({"closes_at": ["Must be in the future."]})
    return closes_at


def create_petition(
    session: Session,
    user: User,
    *,
    title: str,
    text: str,
    consultation: str,
    stations: list[str],
    closes_at: datetime,
    at: datetime | None = None,
) -> Petition:
    """An organiser's (or admin's) petition about stations in their boroughs; commits."""
    at = as_utc(at) if at else now()
    if not permissions.has_role(user, permissions.OWNER_ROLES):
        raise Forbidden("Only organisers and admins create petitions.")
    found = get_consultation(session, consultation)
    chosen = _stations_for(session, user, found, stations)
    petition = Petition(
        consultation_id=found.id,
        owner_id=user.id,
        title=title.strip(),
        text=text.strip(),
        closes_at=_check_closing(found, closes_at, at),
        stations=chosen,
        created_at=at,
        updated_at=at,
    )
    session.add(petition)
    session.flush()
    record_audit(session, user, "create", "petition", petition.id, {"stations": [s.slug for s in chosen]})
    session.commit()
    return petition


def update_petition(session: Session, user: User, petition_id, changes: dict, at: datetime | None = None) -> Petition:
    """The owner changes a petition; once anyone has signed, only its title and text may change, and a new title
    needs a `reason` (kept with the old and new title in the audit log, so the petition's history shows it)."""
    at = as_utc(at) if at else now()
    petition = get_petition(session, petition_id)
    permissions.ensure_may_change(user, petition, "petition")
    changes = dict(changes)
    reason = (changes.pop("reason", None) or "").strip()
    locked = sorted(set(changes) - {"title", "text"})
    if locked and has_signatures(session, petition):
        raise Conflict(
            "People have signed this petition: only its title and text can change now.",
            code="petition_has_signatures",
            errors={field: ["Cannot change after the first signature."] for field in locked},
        )
    details = {"fields": sorted(changes), **_title_change(session, petition, changes, reason)}
    if "title" in changes:
        petition.title = changes["title"].strip()
    if "text" in changes:
        petition.text = changes["text"].strip()
    if "stations" in changes:
        petition.stations = _stations_for(session, user, petition.consultation, changes["stations"])
    if "closes_at" in changes:
        petition.closes_at = _check_closing(petition.consultation, changes["closes_at"], at)
    petition.updated_at = at
    record_audit(session, user, "update", "petition", petition.id, details)
    session.commit()
    return petition


def _title_change(session: Session, petition: Petition, changes: dict, reason: str) -> dict:
    """What the audit event says of a new title (old, new, and the reason); a 422 for a new title without a
    reason once anyone has signed: signers put their names to the old one."""
    new_title = changes["title"].strip() if "title" in changes else petition.title
    if new_title == petition.title:
        return {"reason": reason} if reason else {}
    if not reason and has_signatures(session, petition):
        raise ValidationFailed({"reason": [TITLE_NEEDS_REASON]})
    return {"old_title": petition.title, "new_title": new_title, **({"reason": reason} if reason else {})}


# Signing online ----------------------------------------------------------------------------------------------


def check_signer(name, email, postcode, consent) -> tuple[str, str, postcodes.PostcodeInfo]:
    """The signer's details, checked; every problem at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    checked_email = identity.check_email(email)
    if not name:
        errors["name"] = ["Enter your full name."]
    elif len(name) > 200:
        errors["name"] = ["Your name must be 200 characters or fewer."]
    if checked_email is None:
        errors["email"] = [identity.BAD_EMAIL]
    place = None
    if postcodes.normalise_postcode(postcode) is None:
        errors["postcode"] = [postcodes.BAD_POSTCODE]
    else:
        place = postcodes.lookup(postcode)
        if place is None:
            errors["postcode"] = [postcodes.UNKNOWN_POSTCODE]
    if consent is not True:
        errors["consent"] = ["You must accept the privacy statement to sign: we need your details to count you once."]
    if errors:
        raise ValidationFailed(errors)
    return name, checked_email, place


def _confirmation_email(petition: Petition, token: str, base_url: str) -> tuple[str, str]:
    link = f"{base_url.rstrip('/')}/petitions/{petition.id}/confirm/{token}"
    body = (
        f"Thank you for signing the petition “{petition.title}”.\n\n"
        "Your signature counts once you confirm your email address. Open this link and press the button:\n\n"
        f"{link}\n\n"
        f"The link works for 24 hours. The petition closes at {describe_london(petition.closes_at)} (London time).\n"
        "If you did not sign this petition, ignore this email and your details will not be counted.\n"
    )
    return f"Confirm your signature: {petition.title}", body


def _already_signed_email(petition: Petition) -> tuple[str, str]:
    body = (
        f"Someone tried to sign the petition “{petition.title}” again with this email address.\n\n"
        "Your signature is already confirmed and counted once; there is nothing more to do.\n"
    )
    return f"You have already signed: {petition.title}", body


def sign_petition(
    session: Session,
    *,
    petition_id,
    name: str,
    email: str,
    postcode: str,
    consent: bool,
    base_url: str,
    at: datetime | None = None,
) -> Signature:
    """Record a pending online signature and queue its confirmation link; signing again queues a fresh link.

    The email is an outbox row committed with the signature, so a link never points at an uncommitted row, and
    is then handed to the background sender: no mail failure reaches the signer.
    """
    at = as_utc(at) if at else now()
    petition = get_petition(session, petition_id)
    name, email, place = check_signer(name, email, postcode, consent)
    if at >= petition.closes_at:
        raise PetitionClosed(petition)
    token = secrets.token_urlsafe(32)
    # Written before the commit, which expires the petition: no second read of it for the email.
    confirmation = _confirmation_email(petition, token, base_url)
    already_signed = _already_signed_email(petition)
    signature = Signature(
        petition_id=petition.id,
        channel="online",
        name=name,
        email=email,
        postcode=place.postcode,
        email_key=identity.email_key(email),
        mailbox_key=identity.mailbox_key(email),
        person_key=identity.person_key(name, place.postcode),
        sector=place.sector,
        gss_code=place.gss_code,
        signed_at=at,
        consent_at=at,
        token_hash=hash_token(token),
        token_expires_at=at + TOKEN_LIFETIME,
    )
    try:
        session.add(signature)
        session.flush()
    except IntegrityError:
        session.rollback()
        signature = _signed_before(session, signature, token, at)
    subject, body = already_signed if signature.confirmed_at is not None else confirmation
    message_id = queue_mail(session, to=email, subject=subject, body=body, at=at).id
    session.commit()
    dispatch(message_id)
    return signature


def _signed_before(session: Session, attempt: Signature, token: str, at: datetime) -> Signature:
    """The signature already made with this address; a pending one gets a fresh link (the old one stops
    working), and keeps its row and when it was first signed."""
    signature = session.scalar(
        select(Signature).where(Signature.petition_id == attempt.petition_id, Signature.email_key == attempt.email_key)
    )
    if signature is None:
        raise Conflict("Someone is signing with this address at this moment: try again.", code="signing_raced")
    if signature.confirmed_at is None:
        signature.token_hash = hash_token(token)
        signature.token_expires_at = at + TOKEN_LIFETIME
    return signature


def find_confirmation(session: Session, petition_id, token: str, at: datetime | None = None) -> ConfirmationResult:
    """What the confirmation page should say about a link, without changing anything (GET never confirms)."""
    result, _ = _link_state(session, petition_id, token, as_utc(at) if at else now())
    return result


def _link_state(session: Session, petition_id, token: str, at: datetime) -> tuple[ConfirmationResult, Signature | None]:
    """The link's state ('unknown', 'already_confirmed', 'expired' or 'pending') and its pending signature."""
    petition = get_petition(session, petition_id)
    signature = _signature_for_token(session, petition, token)
    if signature is None:
        return ConfirmationResult("unknown", petition), None
    if signature.confirmed_at is not None:
        return ConfirmationResult("already_confirmed", petition, counted=_counts(signature)), None
    if _expired(petition, signature, at):
        return ConfirmationResult("expired", petition), None
    return ConfirmationResult("pending", petition), signature


def _signature_for_token(session: Session, petition: Petition, token: str) -> Signature | None:
    if not token or len(token) > 200:
        return None
    signature = session.scalar(select(Signature).where(Signature.token_hash == hash_token(token)))
    if signature is None or signature.petition_id != petition.id:
        return None
    # Looked up by hash; compared again in constant time so the comparison itself leaks nothing.
    return signature if hmac.compare_digest(signature.token_hash, hash_token(token)) else None


def _expired(petition: Petition, signature: Signature, at: datetime) -> bool:
    return at >= petition.closes_at + CONFIRMATION_GRACE or (
        signature.token_expires_at is not None and at >= signature.token_expires_at
    )


def _counts(signature: Signature) -> bool:
    return signature.confirmed_at is not None and not signature.flagged and signature.invalidated_at is None


def confirm_signature(session: Session, petition_id, token: str, at: datetime | None = None) -> ConfirmationResult:
    """Confirm a pending signature by its emailed token; confirming twice (or fifty times at once) counts once."""
    at = as_utc(at) if at else now()
    state, signature = _link_state(session, petition_id, token, at)
    if signature is None:
        return state
    petition = state.petition
    signature_id = signature.id
    # The petition's row lock serialises confirmations of one petition, so the duplicate check below and the
    # update that follows it cannot interleave with another confirmation's.
    session.execute(select(Petition.id).where(Petition.id == petition.id).with_for_update())
    counted = CountedPeople.load(
        session, petition.id, postcode=signature.postcode, mailbox_key=signature.mailbox_key, besides=signature_id
    )
    reason = counted.reason(signature.name, signature.postcode, signature.mailbox_key)
    changed = session.execute(
        update(Signature)
        .where(Signature.id == signature_id, Signature.confirmed_at.is_(None))
        .values(confirmed_at=at, flagged=reason is not None, flag_reason=reason)
    ).rowcount
    session.commit()
    if not changed:  # another request confirmed it between our read and our update
        return ConfirmationResult("already_confirmed", petition, counted=_counts(session.get(Signature, signature_id)))
    return ConfirmationResult("confirmed", petition, counted=reason is None)


# Totals ------------------------------------------------------------------------------------------------------


def petition_totals(session: Session, petition_id) -> dict:
    """Public totals: confirmed_online, imported, paper (keyed in, and counted not checked), pending_online,
    flagged, invalidated, total, by_borough, by_station, timeline (cumulative, London days) and as_of; see
    totals.py for how each is counted."""
    return totals.compute_totals(session, get_petition(session, petition_id))


def petition_listing(
    session: Session, at: datetime, consultation_slug: str | None = None, station_slugs: list[str] | None = None
) -> list[tuple[Petition, str, int]]:
    """(petition, "open"/"closed", headline total) for the petitions a public page lists, open ones first."""
    items = [
        (petition, petition_status(petition, at), headline_total(session, petition))
        for petition in petitions_for(session, consultation_slug=consultation_slug, station_slugs=station_slugs)
    ]
    return sorted(items, key=lambda item: item[1] != "open")


def headline_total(session: Session, petition: Petition) -> int:
    """The petition's public total alone (what `petition_totals` gives as "total"), cheap enough for a list."""
    return totals.headline_total(session, petition)


def signature_sectors(session: Session, petition_id) -> list[dict]:
    """[{"sector", "count"}] of counted signatures (online, imported, keyed-in paper): never a full postcode."""
    return totals.signature_sectors(session, get_petition(session, petition_id))
