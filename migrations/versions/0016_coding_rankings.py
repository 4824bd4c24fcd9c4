"""analysis: the coding queue's stored next-to-code ranking per consultation, and the state of its job

Revision ID: 0016_coding_rankings
Revises: 0015_tuning
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_coding_rankings'
down_revision = '0015_tuning'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coding_rankings',
    sa.Column('consultation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('pool', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_coding_rankings_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_coding_rankings'))
    )


def downgrade():
    op.drop_table('coding_rankings')
