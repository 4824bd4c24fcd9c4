"""analysis: a consultation's sentence model tuned on its reviewers' codings, and the state of its tuning job

Revision ID: 0015_tuning
Revises: 0014_summaries
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_tuning'
down_revision = '0014_summaries'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analysis_tunings',
    sa.Column('consultation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_total', sa.Integer(), nullable=False),
    sa.Column('job_codings', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('codebook_version', sa.String(length=40), nullable=True),
    sa.Column('codings', sa.Integer(), nullable=False),
    sa.Column('weights', sa.LargeBinary(), nullable=True),
    sa.Column('tuned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('loss_before', sa.Float(), nullable=True),
    sa.Column('loss_after', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_analysis_tunings_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_analysis_tunings'))
    )


def downgrade():
    op.drop_table('analysis_tunings')
