"""background work: jobs with a status to poll (discovery, next-to-code); filing is a job (a filing render holds the arrival time, reference and draft hash), and the
analysis lock row carries its holder's heartbeat

Revision ID: 0010_jobs
Revises: 0009_petition_trust
Create Date: 2026-12-03 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_jobs'
down_revision = '0009_petition_trust'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('background_jobs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_user_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'], name=op.f('fk_background_jobs_requested_by_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_jobs'))
    )
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_background_jobs_requested_by_user_id'), ['requested_by_user_id'], unique=False)
    with op.batch_alter_table('submission_renders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=10), server_default='draft', nullable=False))
        batch_op.add_column(sa.Column('draft_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('filing_reference', sa.String(length=20), nullable=True))
    with op.batch_alter_table('analysis_locks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('analysis_locks', schema=None) as batch_op:
        batch_op.drop_column('refreshed_at')
    with op.batch_alter_table('submission_renders', schema=None) as batch_op:
        batch_op.drop_column('filing_reference')
        batch_op.drop_column('received_at')
        batch_op.drop_column('draft_sha256')
        batch_op.drop_column('purpose')
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_background_jobs_requested_by_user_id'))
    op.drop_table('background_jobs')
    # a submission left half-way through a filing goes back to being a draft the older code knows
    op.execute("UPDATE submissions SET status = 'draft' WHERE status = 'filing'")
