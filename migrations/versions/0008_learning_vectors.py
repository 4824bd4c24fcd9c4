"""analysis: text embeddings keep the sentence and learning vectors together; drop the sentence-only rows

The engine now stores 768 numbers per text (the sentence vector, then the mean of the last four layers) under
keys of a new layout, so rows of 384 numbers are never read again. They are derived data: deleting them frees the
space, and nothing is lost (a text without a row is embedded again when it is next coded). No schema change.

Revision ID: 0008_learning_vectors
Revises: 0005_analysis
Create Date: 2026-11-30 11:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_learning_vectors'
down_revision = '0005_analysis'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM text_embeddings WHERE dimensions = 384")


def downgrade():
    # the older code reads only 384-number rows under its own keys: the 768-number rows would only take space
    op.execute("DELETE FROM text_embeddings WHERE dimensions = 768")
