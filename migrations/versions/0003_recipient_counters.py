"""recipient counters on the campaign

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:30:00

Recipients by status, kept by the store in the same transaction as every change, so a
campaign's counts are read in constant time (docs/architecture.md, "Records").  Existing campaigns are counted
once here.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

STATUSES = ('pending', 'accepted', 'rejected', 'invalid', 'suppressed', 'uncertain', 'cancelled', 'failed')


def upgrade() -> None:
    for status in STATUSES:
        op.add_column('campaign', sa.Column(f'n_{status}', sa.Integer(), server_default=sa.text('0'), nullable=False))
    counts = ', '.join(f"count(*) FILTER (WHERE status = '{s}') AS n_{s}" for s in STATUSES)
    assign = ', '.join(f'n_{s} = c.n_{s}' for s in STATUSES)
    op.execute(
        f'UPDATE campaign k SET {assign} FROM (SELECT campaign_id, {counts} FROM recipient '
        'GROUP BY campaign_id) c WHERE c.campaign_id = k.id'
    )


def downgrade() -> None:
    for status in reversed(STATUSES):
        op.drop_column('campaign', f'n_{status}')
