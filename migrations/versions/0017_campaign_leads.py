"""reporting: campaign summaries for campaigns=once (campaign_theme_counts, campaign_leads, campaign_lead_themes),
kept exact by their own triggers and filled by a recount; analysis: a campaign's members indexed in response order

The triggers are written once in consultation/reporting/campaign_triggers.py for both dialects; this revision
installs the ones of that module's current version (a later change to them comes with its own revision). The
backfill is the same recount `flask check-summaries --repair` runs.

Revision ID: 0017_campaign_leads
Revises: 0016_coding_rankings
Create Date: 2026-12-04 13:00:00

"""

import sqlalchemy as sa
from alembic import op

from consultation.reporting.campaign_triggers import LEAD_KEY
from consultation.reporting.summaries import (
    install_campaign_triggers,
    rebuild_campaign_summaries,
    remove_campaign_triggers,
)
from consultation.reporting.summary_triggers import THEME_KEY

# revision identifiers, used by Alembic.
revision = "0017_campaign_leads"
down_revision = "0016_coding_rankings"
branch_labels = None
depends_on = None


def upgrade():
    # A campaign's members in response order, for the triggers' look for the lowest member still in a combination.
    op.drop_index("ix_response_analyses_campaign", table_name="response_analyses")
    op.create_index("ix_response_analyses_campaign", "response_analyses", ["campaign_id", "response_id"])
    op.create_table(
        "campaign_theme_counts",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("theme_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*THEME_KEY, "slot", name=op.f("pk_campaign_theme_counts")),
    )
    op.create_table(
        "campaign_leads",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("respondent_type", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint(*LEAD_KEY, name=op.f("pk_campaign_leads")),
    )
    op.create_index("ix_campaign_leads_response", "campaign_leads", ["response_id"])
    op.create_table(
        "campaign_lead_themes",
        sa.Column("response_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("theme_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("response_id", "theme_id", name=op.f("pk_campaign_lead_themes")),
    )
    connection = op.get_bind()
    install_campaign_triggers(connection)
    rebuild_campaign_summaries(connection)


def downgrade():
    remove_campaign_triggers(op.get_bind())
    op.drop_table("campaign_lead_themes")
    op.drop_index("ix_campaign_leads_response", table_name="campaign_leads")
    op.drop_table("campaign_leads")
    op.drop_table("campaign_theme_counts")
    op.drop_index("ix_response_analyses_campaign", table_name="response_analyses")
    op.create_index("ix_response_analyses_campaign", "response_analyses", ["campaign_id"])
