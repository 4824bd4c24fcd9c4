"""reporting: summary tables of response and theme counts, kept exact by triggers, filled by a recount;
intake: answers.search_text, the free text as word search reads it (tsvector and GIN index on PostgreSQL)

The triggers are written once in consultation/reporting/summaries.py for both dialects; this revision installs
the ones of that module's current version (a later change to them comes with its own revision). The backfill is
the same full recount `flask check-summaries --repair` runs.

Revision ID: 0014_summaries
Revises: 0013_wording
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

from consultation.intake.models import SEARCH_TEXT_SQL
from consultation.reporting.summaries import RESPONSE_KEY, install_triggers, rebuild_summaries, remove_triggers

# revision identifiers, used by Alembic.
revision = "0014_summaries"
down_revision = "0013_wording"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "response_counts",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("respondent_type", sa.String(length=30), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("stance", sa.String(length=10), nullable=False),
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            *RESPONSE_KEY,
            "slot",
            name=op.f("pk_response_counts"),
        ),
    )
    op.create_table(
        "theme_counts",
        sa.Column("consultation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("theme_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "consultation_id", "station_id", "late", "status", "theme_id", "slot", name=op.f("pk_theme_counts")
        ),
    )
    connection = op.get_bind()
    install_triggers(connection)
    rebuild_summaries(connection)
    _add_search_text(connection.dialect.name)


def _add_search_text(dialect: str) -> None:
    """answers.search_text, generated from the free text: a tsvector behind a GIN index on PostgreSQL (STORED), the
    lower-case text on SQLite (VIRTUAL: SQLite adds only virtual generated columns to an existing table)."""
    kind = "tsvector" if dialect == "postgresql" else "TEXT"
    storage = "STORED" if dialect == "postgresql" else "VIRTUAL"
    op.execute(
        f"ALTER TABLE answers ADD COLUMN search_text {kind} GENERATED ALWAYS AS ({SEARCH_TEXT_SQL[dialect]}) {storage}"
    )
    if dialect == "postgresql":
        op.create_index("ix_answers_search_text", "answers", ["search_text"], postgresql_using="gin")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_answers_search_text", table_name="answers")
    op.drop_column("answers", "search_text")
    remove_triggers(op.get_bind())
    op.drop_table("theme_counts")
    op.drop_table("response_counts")
