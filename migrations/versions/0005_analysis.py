"""analysis: sentence-model embeddings cached by text hash; campaign match keys

Revision ID: 0005_analysis
Revises: 0007_production
Create Date: 2026-11-30 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_analysis'
down_revision = '0007_production'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('text_embeddings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('dimensions', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_text_embeddings'))
    )
    with op.batch_alter_table('response_analyses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_key', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_response_analyses_consultation_match', ['consultation_id', 'match_key'], unique=False)


def downgrade():
    with op.batch_alter_table('response_analyses', schema=None) as batch_op:
        batch_op.drop_index('ix_response_analyses_consultation_match')
        batch_op.drop_column('match_key')
    op.drop_table('text_embeddings')
