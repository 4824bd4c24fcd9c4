"""petitions and mail: the mail outbox, a signature's mailbox key, and packs set aside by a reviewer

Revision ID: 0009_petition_trust
Revises: 0008_learning_vectors
Create Date: 2026-12-03 13:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_petition_trust'
down_revision = '0008_learning_vectors'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    op.create_index('ix_mail_outbox_status_next_attempt_at', 'mail_outbox', ['status', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('petition_signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_petition_signatures_petition_mailbox', ['petition_id', 'mailbox_key'], unique=False)
        batch_op.create_index('ix_petition_signatures_petition_postcode', ['petition_id', 'postcode'], unique=False)
    with op.batch_alter_table('petition_packs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_aside_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('set_aside_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('petition_packs', schema=None) as batch_op:
        batch_op.drop_column('set_aside_reason')
        batch_op.drop_column('set_aside_at')
    with op.batch_alter_table('petition_signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_signatures_petition_postcode')
        batch_op.drop_index('ix_petition_signatures_petition_mailbox')
        batch_op.drop_column('mailbox_key')
    op.drop_index('ix_mail_outbox_status_next_attempt_at', table_name='mail_outbox')
    op.drop_table('mail_outbox')
