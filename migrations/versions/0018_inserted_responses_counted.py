"""reporting: the summary trigger on inserted responses (PostgreSQL) counts them as uncoded without reading
response_analyses or theme_assignments

A response being inserted can have no analysis or theme assignment yet (their foreign keys), so the join the
trigger made found nothing, after reading through the whole table of analyses for a statement of many rows (an
import's COPY). This revision reinstalls the summary triggers of consultation/reporting/summary_triggers.py's
current version; the counts they keep are the same, so the downgrade leaves them as they are. SQLite's row
triggers are unchanged.

Revision ID: 0018_inserted_responses_counted
Revises: 0017_campaign_leads
Create Date: 2026-12-03 20:00:00

"""

from alembic import op

from consultation.reporting.summaries import install_triggers, remove_triggers

# revision identifiers, used by Alembic.
revision = "0018_inserted_responses_counted"
down_revision = "0017_campaign_leads"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        remove_triggers(connection)
        install_triggers(connection)


def downgrade():
    pass  # the triggers of this revision keep the same counts as those before it
