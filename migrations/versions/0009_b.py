"""console: staff email addresses, one-time sign-in links, coding-queue claims, and imported files' hashes

Revision ID: 0009_b
Revises: 0008_learning_vectors
Create Date: 2026-12-03 13:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_b'
down_revision = '0008_learning_vectors'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch.create_unique_constraint(batch.f('uq_users_email'), ['email'])
    op.create_table(
        'sign_in_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_links_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_links_token_hash')),
    )
    op.create_index(op.f('ix_sign_in_links_user_id'), 'sign_in_links', ['user_id'], unique=False)
    op.create_table(
        'coding_claims',
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_coding_claims_response_id_responses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coding_claims_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('response_id', name=op.f('pk_coding_claims')),
    )
    op.create_index(op.f('ix_coding_claims_user_id'), 'coding_claims', ['user_id'], unique=False)
    op.create_index(op.f('ix_coding_claims_expires_at'), 'coding_claims', ['expires_at'], unique=False)
    op.create_table(
        'imported_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_imported_files_consultation_id_consultations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_imported_files_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_files')),
    )
    op.create_index(op.f('ix_imported_files_consultation_id'), 'imported_files', ['consultation_id'], unique=False)
    op.create_index(op.f('ix_imported_files_sha256'), 'imported_files', ['sha256'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_imported_files_sha256'), table_name='imported_files')
    op.drop_index(op.f('ix_imported_files_consultation_id'), table_name='imported_files')
    op.drop_table('imported_files')
    op.drop_index(op.f('ix_coding_claims_expires_at'), table_name='coding_claims')
    op.drop_index(op.f('ix_coding_claims_user_id'), table_name='coding_claims')
    op.drop_table('coding_claims')
    op.drop_index(op.f('ix_sign_in_links_user_id'), table_name='sign_in_links')
    op.drop_table('sign_in_links')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(batch.f('uq_users_email'), type_='unique')
        batch.drop_column('email')
