"""Every capability's models, imported in one place so Alembic sees the whole schema."""

from consultation.accounts.models import ApiToken, AuditEvent, User, user_boroughs
from consultation.analysis.models import (
    Campaign,
    Codebook,
    CodingEvent,
    ResponseAnalysis,
    Theme,
    ThemeAssignment,
)
from consultation.background_jobs import BackgroundJob
from consultation.boroughs import Borough
from consultation.catalog.models import Consultation, Question, Questionnaire, Station
from consultation.intake.models import Answer, IdempotencyKey, Respondent, Response, ResponseRevision
from consultation.outbox import OutboxMessage
from consultation.petitions.models import Petition, PetitionPack, Signature, petition_stations
from consultation.reporting.models import (
    CampaignLead,
    CampaignLeadTheme,
    CampaignThemeCount,
    ResponseCount,
    ThemeCount,
)
from consultation.submissions.models import Submission, SubmissionFiling, SubmissionRender

__all__ = [
    "BackgroundJob",
    "Campaign",
    "CampaignLead",
    "CampaignLeadTheme",
    "CampaignThemeCount",
    "Codebook",
    "CodingEvent",
    "ResponseAnalysis",
    "Theme",
    "ThemeAssignment",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Borough",
    "Consultation",
    "IdempotencyKey",
    "OutboxMessage",
    "Question",
    "Questionnaire",
    "Respondent",
    "Response",
    "ResponseCount",
    "ResponseRevision",
    "ThemeCount",
    "Station",
    "Submission",
    "SubmissionFiling",
    "SubmissionRender",
    "User",
    "user_boroughs",
    "Petition",
    "PetitionPack",
    "Signature",
    "petition_stations",
]
