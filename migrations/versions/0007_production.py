"""production: analysis locks (one run per consultation) and idempotency keys bound to their caller

Revision ID: 0007_production
Revises: 0004_petitions
Create Date: 2026-11-30 06:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_production'
down_revision = '0004_petitions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analysis_locks',
    sa.Column('consultation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_analysis_locks_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_analysis_locks'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_column('caller_hash')

    op.drop_table('analysis_locks')
