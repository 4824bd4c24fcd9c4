"""submissions: page images of a finished render, for the preview beside the submission editor

Revision ID: 0009_g
Revises: 0009_a, 0009_b
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_g'
# Joins the two other revisions of this round, so the chain has one head.
down_revision = ('0009_a', '0009_b')
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_render_pages',
    sa.Column('render_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['render_id'], ['submission_renders.id'], name=op.f('fk_submission_render_pages_render_id_submission_renders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('render_id', 'number', name=op.f('pk_submission_render_pages'))
    )


def downgrade():
    op.drop_table('submission_render_pages')
