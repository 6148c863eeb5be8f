"""dispatch engine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:29:16.926250
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('daily_contact',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('msisdn', sa.String(length=12), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'msisdn', 'day', name=op.f('pk_daily_contact'))
    )
    op.add_column('campaign', sa.Column('last_fed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('campaign', sa.Column('callback_done_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('campaign', 'callback_done_at')
    op.drop_column('campaign', 'last_fed_at')
    op.drop_table('daily_contact')
