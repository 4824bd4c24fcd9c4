"""Petitions, their signatures (personal data, kept in their own table) and paper petition packs.

A signature is one row whatever its channel: online (email-confirmed), paper (keyed in from a returned pack)
or imported (from another petition site, counted apart: we never confirmed them). Totals are counted from these
rows and from pack tallies at read time, never kept in a counter, so they are exact under concurrency and can be
reproduced from the rows.
"""

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.extensions import db

SIGNATURE_CHANNELS = ("online", "paper", "imported")
# How an import treats bad rows: refuse the whole file, or keep the good rows and report the rest.
# What a review does to a batch of signatures (signers.py): the last two decide possible duplicates.
REVIEW_ACTIONS = ("invalidate", "restore", "count", "dont_count")
DUPLICATE_ACTIONS = ("count", "dont_count")

petition_stations = Table(
    "petition_stations",
    db.metadata,
    Column("petition_id", ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True),
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
)


class Petition(db.Model):
    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), nullable=False, index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    # Loaded when used, not with every petition: signing and confirming read only the petition's own columns.
    consultation = relationship("Consultation")
    owner = relationship("User")
    stations = relationship("Station", secondary=petition_stations, order_by="Station.name")
    packs = relationship("PetitionPack", back_populates="petition", order_by="PetitionPack.code")


class Signature(db.Model):
    """One person's signature. Personal data: never in exports, aggregates or PDFs; read only by the owner,
    reviewers and admins, and every such read is audited."""

    __tablename__ = "petition_signatures"
    __table_args__ = (
        # One signature per normalised email per petition: the database decides races, not a prior SELECT.
        UniqueConstraint("petition_id", "email_key"),
        Index("ix_petition_signatures_petition_person", "petition_id", "person_key"),
        Index("ix_petition_signatures_petition_confirmed", "petition_id", "confirmed_at"),
        # Flagging for review: signatures from one mailbox, and close names at one postcode.
        Index("ix_petition_signatures_petition_mailbox", "petition_id", "mailbox_key"),
        Index("ix_petition_signatures_petition_postcode", "petition_id", "postcode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), nullable=False)
    pack_id: Mapped[int | None] = mapped_column(
        ForeignKey("petition_packs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    postcode: Mapped[str] = mapped_column(String(8), nullable=False)
    # Derived keys: sha256 of the normalised email, and of the normalised name with the postcode. Hashes keep
    # the indexes small and put no second copy of the personal data in them.
    email_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The mailbox behind any '+tag' sub-address, hashed likewise: several addresses of one mailbox are flagged.
    mailbox_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    person_key: Mapped[str] = mapped_column(String(64), nullable=False)
    sector: Mapped[str] = mapped_column(String(6), nullable=False)
    gss_code: Mapped[str] = mapped_column(String(9), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invalidation_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    pack = relationship("PetitionPack", back_populates="signatures")


class PetitionPack(db.Model):
    """A paper petition pack: issued to a volunteer, returned with a tally, optionally keyed in."""

    __tablename__ = "petition_packs"
    __table_args__ = (UniqueConstraint("petition_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    issued_to: Mapped[str] = mapped_column(String(200), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    signatures_counted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sheets: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # A reviewer (the consulting body) may set a pack aside with a reason: it then counts for nothing.
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    set_aside_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    petition = relationship("Petition", back_populates="packs")
    signatures = relationship("Signature", back_populates="pack")
