"""the feeder reads only the first few campaigns in its order

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 13:00:00

- ix_campaign_feed: (account, priority DESC, last_fed_at NULLS FIRST, id) among the
  campaigns that may send, so the feeder's LIMIT stops after a few rows whatever the
  number of waiting campaigns.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_campaign_feed',
        'campaign',
        ['account', sa.text('priority DESC'), sa.text('last_fed_at ASC NULLS FIRST'), 'id'],
        unique=False,
        postgresql_where=sa.text("status IN ('scheduled', 'running')"),
    )


def downgrade() -> None:
    op.drop_index('ix_campaign_feed', table_name='campaign')
