"""submissions: page images of a finished render, for the preview beside the submission editor

Revision ID: 0012_previews
Revises: 0011_staff_console
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_previews'
down_revision = '0011_staff_console'
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
