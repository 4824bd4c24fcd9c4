"""Codebooks and themes, the coding of each response (machine or reviewer, with history), and campaigns."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.extensions import db

STANCES = ("oppose", "support", "neutral")
# Where a stance came from, weakest first: a reviewer's coding always wins.
STANCE_SOURCES = ("model", "agreement", "reviewer")
ASSIGNMENT_SOURCES = ("machine", "reviewer")


class Codebook(db.Model):
    """A consultation's stance definitions; its themes are rows of `themes`."""

    __tablename__ = "codebooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    stances: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)

    themes = relationship("Theme", back_populates="codebook", order_by="Theme.id", cascade="all, delete-orphan")


class Theme(db.Model):
    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("codebook_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    codebook_id: Mapped[int] = mapped_column(ForeignKey("codebooks.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    examples: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # 'codebook' when written by people, 'discovered' when promoted from a discovered cluster.
    origin: Mapped[str] = mapped_column(String(20), nullable=False, default="codebook")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    codebook = relationship("Codebook", back_populates="themes")


class Campaign(db.Model):
    """Identical or near-identical texts (template letters, copy-paste) grouped as one campaign."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sample_text: Mapped[str] = mapped_column(Text, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class ResponseAnalysis(db.Model):
    """The current coding of one response. One row per response, so aggregates are one join away."""

    __tablename__ = "response_analyses"
    __table_args__ = (
        # A campaign's members in response order: the campaign summaries' triggers look for its lowest member.
        Index("ix_response_analyses_campaign", "campaign_id", "response_id"),
        # Reviewer-coded responses of a consultation: training data, agreement figures, the signal candidates.
        Index("ix_response_analyses_consultation_coded", "consultation_id", "coded_by_user_id"),
        # Copies of one text (template letters), found by an index lookup when a new response arrives.
        Index("ix_response_analyses_consultation_match", "consultation_id", "match_key"),
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), nullable=False)
    stance: Mapped[str | None] = mapped_column(String(10), nullable=True)
    stance_source: Mapped[str | None] = mapped_column(String(10), nullable=True)
    stance_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Set once a reviewer has coded the response; the machine then leaves stance and themes alone.
    coded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    coded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Hash of the analysed text and answers: re-analysis skips responses whose input has not changed.
    input_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True)
    # Hash of the text as campaigns compare it (case, punctuation and spacing ignored): the campaign key of its copies.
    match_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    flag_pii: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    flag_abusive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Free text with personal data and abuse replaced; the only text that leaves the service in quotes.
    redacted_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ThemeAssignment(db.Model):
    __tablename__ = "theme_assignments"
    __table_args__ = (
        UniqueConstraint("response_id", "theme_id"),
        # A consultation's assignments are those of its codebook's themes: `theme_id IN (...)` reaches them by
        # this index (the aggregates restrict by it), and response_id comes with it for the join.
        Index("ix_theme_assignments_theme", "theme_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), nullable=False)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    assigned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class CodingEvent(db.Model):
    """History: every change of a response's stance or themes, by the machine or a named reviewer."""

    __tablename__ = "coding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    stance: Mapped[str | None] = mapped_column(String(10), nullable=True)
    themes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class TextEmbedding(db.Model):
    """A sentence-model vector, kept by the hash of the model's name and the text, so no text is embedded twice.

    Shared by every consultation (a template letter sent to two consultations embeds once) and holds no link to a
    response: it is derived data, rebuilt by the next run if the table is emptied.
    """

    __tablename__ = "text_embeddings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimensions: Mapped[int] = mapped_column(Integer, nullable=False)
    # float32, little-endian: 3 kB for MiniLM's sentence and learning vectors (384 numbers each).
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class AnalysisLock(db.Model):
    """Who runs a consultation's analysis now, where the database has no advisory locks (SQLite).

    PostgreSQL uses an advisory lock instead (see analysis/service/locking.py), which dies with its connection;
    a row outlives a killed process, so a row older than the stale limit may be taken over.
    """

    __tablename__ = "analysis_locks"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    holder: Mapped[str] = mapped_column(String(64), nullable=False)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The holder's heartbeat: a lock whose refresh stopped (past the stale limit) is taken over.
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CodingClaim(db.Model):
    """A reviewer has this response open in the coding queue: no one else's queue hands it out until the claim
    is released (on save) or runs out."""

    __tablename__ = "coding_claims"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class AnalysisTuning(db.Model):
    """A consultation's sentence model tuned on its reviewers' codings, and the state of its tuning job.

    One row per consultation. The stored weights (the tuned top layers, float16, a few MB) are used while the
    codebook's theme keys still match `codebook_version`; a new job replaces them only once it has finished, so
    the last good tuning (or, before the first, the untuned model) keeps coding meanwhile.
    """

    __tablename__ = "analysis_tunings"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # the job: queued, running, done or failed; its progress in training steps
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    steps_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    steps_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    job_codings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the stored tuning: what it was tuned on, its weights and how far the loss fell
    codebook_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    codings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    weights: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    tuned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    loss_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    loss_after: Mapped[float | None] = mapped_column(Float, nullable=True)


class CodingRanking(db.Model):
    """A consultation's stored next-to-code ranking, which the coding queue claims from, and the state of the
    background job that works it out (service/ranking.py).

    One row per consultation. `items` is the last ranking worked out (response ids in order, each with why it was
    chosen), kept while a newer one is worked out; `computed_at` is None until the first is stored.
    """

    __tablename__ = "coding_rankings"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # the job: queued, running, done or failed
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the stored ranking: [{"response_id", "reference", "why"}, ...], best first, and how many candidates it weighed
    items: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    pool: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
