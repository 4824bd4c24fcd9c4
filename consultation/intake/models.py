"""Responses, their answers and history, respondents (personal data, kept apart) and idempotency keys."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.extensions import db

# "submission": an organiser's filed formal submission, recorded as a response for each of its stations.
CHANNELS = ("online", "paper", "email", "submission")
RESPONDENT_TYPES = ("resident", "business", "organisation", "elected_representative")
RESPONSE_STATUSES = ("active", "withdrawn")
# all_or_nothing: one bad row refuses the file; valid_only: the good rows are stored and the bad ones reported.
IMPORT_MODES = ("all_or_nothing", "valid_only")
# The most responses one page of the reviewers' list may hold.
MAX_LIST_LIMIT = 500


class Respondent(db.Model):
    """Personal data. Never joined into exports, aggregates or PDFs unless a reviewer explicitly asks."""

    __tablename__ = "respondents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class Response(db.Model):
    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_consultation_received", "consultation_id", "received_at"),
        Index("ix_responses_consultation_station", "consultation_id", "station_id"),
        # What every figure filters on (consultation, active, on time) and then groups by (station).
        Index("ix_responses_consultation_counted", "consultation_id", "status", "late", "station_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), nullable=False)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), nullable=False)
    reference: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("respondents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The category is not personal data and is needed for aggregates, so it lives on the response.
    respondent_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    consent_to_publish: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    edit_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)

    station = relationship("Station")
    respondent = relationship("Respondent")
    answers = relationship("Answer", back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), nullable=False)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), nullable=False, index=True)
    # A string for single choice and scales, a list of strings for multiple choice.
    value: Mapped[object | None] = mapped_column(JSON, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)

    response = relationship("Response", back_populates="answers")
    question = relationship("Question")


class ResponseRevision(db.Model):
    """Each accepted state of a response, so amendments and withdrawals keep their history."""

    __tablename__ = "response_revisions"
    __table_args__ = (UniqueConstraint("response_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    change: Mapped[str] = mapped_column(String(20), nullable=False)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), nullable=False)
    answers: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(200), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # Who sent the first request (a hash of their token or address): only they get its secrets replayed.
    caller_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    response_status: Mapped[int] = mapped_column(Integer, nullable=False)
    response_body: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class ImportedFile(db.Model):
    """A file whose responses were imported, by the SHA-256 of its content: importing the same content again
    needs a second confirmation, so one paper batch is not keyed in twice."""

    __tablename__ = "imported_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    imported: Mapped[int] = mapped_column(Integer, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
