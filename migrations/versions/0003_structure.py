"""structure: indexes that match the aggregates' and the coding queries

Revision ID: 0003_structure
Revises: 0002_analysis
Create Date: 2026-11-30 07:00:00

- responses (consultation_id, status, late, station_id): the filter every figure applies, then its grouping.
- response_analyses (consultation_id, coded_by_user_id): reviewer-coded responses of a consultation.
- response_analyses (consultation_id, stance) dropped: no query filters or sorts on it.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003_structure'
down_revision = '0002_analysis'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(
            'ix_responses_consultation_counted', ['consultation_id', 'status', 'late', 'station_id'], unique=False
        )
    with op.batch_alter_table('response_analyses', schema=None) as batch_op:
        batch_op.drop_index('ix_response_analyses_consultation_stance')
        batch_op.create_index(
            'ix_response_analyses_consultation_coded', ['consultation_id', 'coded_by_user_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('response_analyses', schema=None) as batch_op:
        batch_op.drop_index('ix_response_analyses_consultation_coded')
        batch_op.create_index(
            'ix_response_analyses_consultation_stance', ['consultation_id', 'stance'], unique=False
        )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_consultation_counted')
