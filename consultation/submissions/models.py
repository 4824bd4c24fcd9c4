"""Formal submissions, their renders (PDF jobs) and their filing record.

A render's PDF is written in the same commit that marks it `done`, so a failed or half-written render is never
visible as finished. A filing keeps its own copy of the PDF and its SHA-256, so the filed document can be
verified by hash long after the submission was drawn up.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.extensions import db

# "filing": a filing job is rendering the final PDF; the submission is locked until it is filed or back to draft.
SUBMISSION_STATUSES = ("draft", "filing", "filed")
RENDER_PURPOSES = ("draft", "filing")
RENDER_STATUSES = ("queued", "running", "done", "failed")


class Submission(db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    addressed_to: Mapped[str] = mapped_column(Text, nullable=False)
    organisation: Mapped[str] = mapped_column(String(200), nullable=False)
    signatory_name: Mapped[str] = mapped_column(String(200), nullable=False)
    signatory_role: Mapped[str] = mapped_column(String(200), nullable=False)
    # Station slugs, in the order the document presents them.
    stations: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # [{"heading": ..., "body": ...}]; bodies are a small Markdown subset, sanitised when rendered.
    sections: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    petition_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    include_aggregates: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    letterhead: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    letterhead_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    # Bumped on every change, so a render says which state of the submission it shows.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    owner = relationship("User", lazy="joined")
    consultation = relationship("Consultation", lazy="joined")
    filing = relationship("SubmissionFiling", back_populates="submission", uselist=False)


class SubmissionRender(db.Model):
    """One render job; `id` is the job handle clients poll."""

    __tablename__ = "submission_renders"
    __table_args__ = (Index("ix_submission_renders_submission_requested", "submission_id", "requested_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False)
    submission_version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # "filing": the render that becomes the filed PDF; it keeps the filing request's arrival time, the reference the
    # PDF prints, and the hash of the draft it was asked for (the filing fails if the draft is no longer that one).
    purpose: Mapped[str] = mapped_column(String(10), nullable=False, default="draft", server_default="draft")
    draft_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    filing_reference: Mapped[str | None] = mapped_column(String(20), nullable=True)

    submission = relationship("Submission")

    @property
    def filing(self):
        """The receipt a finished filing job produced (None for a draft render, or a filing not done)."""
        if self.purpose != "filing" or self.status != "done":
            return None
        return self.submission.filing


class SubmissionFiling(db.Model):
    """The receipt of a filed submission: what was filed, when (server clock) and its hash."""

    __tablename__ = "submission_filings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    reference: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # Shown by the public verification: the organisation, never a person's details.
    organisation: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    pages: Mapped[int] = mapped_column(Integer, nullable=False)
    # References of the responses (channel "submission") created for its stations.
    response_references: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    submission = relationship("Submission", back_populates="filing")


class SubmissionRenderPage(db.Model):
    """A page of a finished render drawn as a PNG, for the preview; written in the commit that marks it done."""

    __tablename__ = "submission_render_pages"

    render_id: Mapped[str] = mapped_column(
        ForeignKey("submission_renders.id", ondelete="CASCADE"), primary_key=True, nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)  # 1-based
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    png: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
