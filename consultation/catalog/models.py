"""Consultations, stations, questionnaires and their questions."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultation.boroughs import Borough
from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.extensions import db

PROPOSALS = ("close", "retain_24h", "retain", "dispose", "relocate")
QUESTION_KINDS = ("single_choice", "multiple_choice", "agreement_scale", "free_text")
# Formats a free-text answer may be held to, beyond its length.
ANSWER_FORMATS = ("postcode_district",)
# The published figures a station may carry, in the order they are shown.
FIGURES = ("crimes_reported_per_day", "visitors_per_day")


class Consultation(db.Model):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consulting_body: Mapped[str] = mapped_column(String(200), nullable=False)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)
    # The consultation's own words (see catalog/wording.py): what a site is called, and in the plural;
    # proposal code -> words ({"close": "Close the front counter"}); figure field -> label, only the figures
    # shown (None: every figure, with generic labels).
    site_word: Mapped[str] = mapped_column(String(60), nullable=False, default="site", server_default="site")
    site_word_plural: Mapped[str] = mapped_column(String(60), nullable=False, default="sites", server_default="sites")
    proposal_wording: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    figure_labels: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    stations = relationship(
        "Station", back_populates="consultation", order_by="Station.name", cascade="all, delete-orphan"
    )
    questionnaire = relationship(
        "Questionnaire", back_populates="consultation", uselist=False, cascade="all, delete-orphan"
    )


class Station(db.Model):
    __tablename__ = "stations"
    __table_args__ = (UniqueConstraint("consultation_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    borough_id: Mapped[int] = mapped_column(ForeignKey("boroughs.id"), nullable=False, index=True)
    slug: Mapped[str] = mapped_column(String(80), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    proposal: Mapped[str] = mapped_column(String(20), nullable=False)
    proposal_detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    crimes_reported_per_day: Mapped[float | None] = mapped_column(Float, nullable=True)
    visitors_per_day: Mapped[float | None] = mapped_column(Float, nullable=True)

    consultation = relationship("Consultation", back_populates="stations")
    borough = relationship(Borough, lazy="joined")


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    introduction: Mapped[str] = mapped_column(Text, nullable=False, default="")

    consultation = relationship("Consultation", back_populates="questionnaire")
    questions = relationship(
        "Question", back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(60), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    help_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # [{"value": "agree", "label": "Agree"}, ...] for choice and scale questions, in display order.
    options: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    max_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # For agreement scales: option value -> stance toward the proposal (oppose/support/neutral).
    stance_mapping: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # For free text: a format the answer must have (ANSWER_FORMATS), e.g. a UK postcode district.
    answer_format: Mapped[str | None] = mapped_column(String(30), nullable=True)

    questionnaire = relationship("Questionnaire", back_populates="questions")

    @property
    def option_values(self) -> list[str]:
        return [option["value"] for option in self.options]
