"""personalised messages: a campaign's distinct texts, each chunk's and recipient's text,
the plan made at intake

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:00:00

- campaign_text: each distinct text of a campaign once (id 0 is the message itself for a
  campaign without placeholders).  Existing campaigns get their message as text 0.
- chunk.text_id (0 by default: existing chunks carry their campaign's message),
  recipient.text_id and recipient.detail (null for existing rows: adding them is
  instant, nothing is rewritten).
- campaign.plan (JSONB) and campaign.transliterate.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaign_text',
        sa.Column('campaign_id', sa.BigInteger(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('encoding', sa.String(length=8), nullable=False),
        sa.Column('segments', sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint('campaign_id', 'id', name=op.f('pk_campaign_text')),
    )
    op.add_column('chunk', sa.Column('text_id', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('recipient', sa.Column('text_id', sa.Integer(), nullable=True))
    op.add_column('recipient', sa.Column('detail', sa.Text(), nullable=True))
    op.add_column('campaign', sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('campaign', sa.Column('transliterate', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.execute(
        "INSERT INTO campaign_text (campaign_id, id, text, encoding, segments) "
        "SELECT id, 0, message, encoding, segments FROM campaign"
    )


def downgrade() -> None:
    op.drop_column('campaign', 'transliterate')
    op.drop_column('campaign', 'plan')
    op.drop_column('recipient', 'detail')
    op.drop_column('recipient', 'text_id')
    op.drop_column('chunk', 'text_id')
    op.drop_table('campaign_text')
