"""Summary tables: response counts kept exact by the database as responses, analyses and themes change.

A row holds how many responses share one combination of what the figures group and filter by (consultation,
station, and so borough, channel, respondent type, late, status, stance, campaign; or theme). Missing values are
stored as '' (stance, respondent type) and 0 (campaign), so the combination can be a primary key.

`slot` spreads concurrent writers over several rows of one combination (on PostgreSQL, the writing backend's pid
modulo SUMMARY_SLOTS): without it every online response to one station would wait on the same row's lock until
the writer before it committed. Readers add the slots up. How the rows are kept, and why, is in
`consultation/reporting/summaries.py`.

Three more tables serve `campaigns=once` (a campaign's members count as one response per group, represented by
the member with the lowest response id), kept by the triggers of `campaign_triggers.py`:

- `campaign_theme_counts`: like `theme_counts`, but of campaign members only, so the themes of the responses
  outside campaigns are one subtraction away;
- `campaign_leads`: for each campaign, station, late and status, its member with the lowest response id (the
  lead) and the lead's stance, channel and respondent type. A group's representative of a campaign is the lowest
  lead among the group's stations (and the selection's late and status), so it is found from these few rows
  instead of from every member;
- `campaign_lead_themes`: the theme assignments of the leads.
"""

from sqlalchemy import Boolean, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from consultation.extensions import db

SUMMARY_SLOTS = 16
NO_CAMPAIGN = 0


class ResponseCount(db.Model):
    __tablename__ = "response_counts"

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    station_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True, nullable=False)
    respondent_type: Mapped[str] = mapped_column(String(30), primary_key=True, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, primary_key=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), primary_key=True, nullable=False)
    stance: Mapped[str] = mapped_column(String(10), primary_key=True, nullable=False)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, nullable=False)
    responses: Mapped[int] = mapped_column(Integer, nullable=False)


class ThemeCount(db.Model):
    __tablename__ = "theme_counts"

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    station_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, primary_key=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), primary_key=True, nullable=False)
    theme_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, nullable=False)
    responses: Mapped[int] = mapped_column(Integer, nullable=False)


class CampaignThemeCount(db.Model):
    __tablename__ = "campaign_theme_counts"

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    station_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, primary_key=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), primary_key=True, nullable=False)
    theme_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, nullable=False)
    responses: Mapped[int] = mapped_column(Integer, nullable=False)


class CampaignLead(db.Model):
    __tablename__ = "campaign_leads"
    # The triggers find the lead rows of changed responses by their id.
    __table_args__ = (Index("ix_campaign_leads_response", "response_id"),)

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    station_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, primary_key=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), primary_key=True, nullable=False)
    response_id: Mapped[int] = mapped_column(Integer, nullable=False)
    stance: Mapped[str] = mapped_column(String(10), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    respondent_type: Mapped[str] = mapped_column(String(30), nullable=False)


class CampaignLeadTheme(db.Model):
    __tablename__ = "campaign_lead_themes"

    response_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
    theme_id: Mapped[int] = mapped_column(Integer, primary_key=True, nullable=False)
