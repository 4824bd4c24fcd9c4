"""catalog: each consultation's own words for its sites, proposals and figures; a format for free-text answers

Consultations gain `site_word` and `site_word_plural` (generic "site"/"sites" by default), `proposal_wording`
(proposal code -> words) and `figure_labels` (figure -> label; NULL: every figure with generic labels). The two
demo consultations, if present, get the police wording they were written in. Questions gain `answer_format`
(e.g. `postcode_district`); the demo questionnaires' postcode-district question gets it.

Revision ID: 0013_wording
Revises: 0012_previews
Create Date: 2026-12-03 13:30:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_wording'
down_revision = '0012_previews'
branch_labels = None
depends_on = None

DEMO_SLUGS = ("public-access-2017", "public-access-demo")
DEMO_PROPOSALS = {
    "close": "Close the front counter",
    "retain_24h": "Keep as the borough's 24-hour front counter",
    "retain": "Keep the front counter open",
    "dispose": "Vacate the site and sell it",
    "relocate": "Move the front counter to another site",
}
DEMO_FIGURES = {
    "crimes_reported_per_day": "Crimes reported at this station per day",
    "visitors_per_day": "Visitors to this station per day",
}


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_format', sa.String(length=30), nullable=True))
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_word', sa.String(length=60), server_default='site', nullable=False))
        batch_op.add_column(
            sa.Column('site_word_plural', sa.String(length=60), server_default='sites', nullable=False)
        )
        batch_op.add_column(sa.Column('proposal_wording', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('figure_labels', sa.JSON(), nullable=True))
    consultations = sa.table(
        'consultations',
        sa.column('slug', sa.String),
        sa.column('site_word', sa.String),
        sa.column('site_word_plural', sa.String),
        sa.column('proposal_wording', sa.JSON),
        sa.column('figure_labels', sa.JSON),
    )
    op.execute(
        consultations.update()
        .where(consultations.c.slug.in_(DEMO_SLUGS))
        .values(
            site_word='station',
            site_word_plural='stations',
            proposal_wording=DEMO_PROPOSALS,
            figure_labels=DEMO_FIGURES,
        )
    )
    op.execute(
        "UPDATE questions SET answer_format = 'postcode_district' WHERE code = 'postcode_district' AND "
        "questionnaire_id IN (SELECT questionnaires.id FROM questionnaires JOIN consultations "
        "ON consultations.id = questionnaires.consultation_id "
        "WHERE consultations.slug IN ('public-access-2017', 'public-access-demo'))"
    )


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('figure_labels')
        batch_op.drop_column('proposal_wording')
        batch_op.drop_column('site_word_plural')
        batch_op.drop_column('site_word')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('answer_format')
