"""waiting reasons for Ley 2300's next day and unconfigured accounts; the processes seen

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 22:00:00

- campaign.waiting_reason: 32 characters, and two more values: ``daily_limit`` (only
  numbers reached today under Ley 2300 are left) and ``account_not_configured``.
- process_seen: each API, worker and beat process with the provider accounts it is
  configured with, refreshed while it runs.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_OLD = ('window', 'balance', 'maintenance', 'auth', 'operator', 'start_at')
_NEW = (*_OLD, 'daily_limit', 'account_not_configured')


def _check(values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"waiting_reason IS NULL OR waiting_reason IN ({listed})"


def upgrade() -> None:
    op.drop_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', type_='check')
    op.alter_column('campaign', 'waiting_reason', type_=sa.String(length=32))
    op.create_check_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', _check(_NEW))
    op.create_table(
        'process_seen',
        sa.Column('process', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('accounts', postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('process', name=op.f('pk_process_seen')),
    )


def downgrade() -> None:
    op.drop_table('process_seen')
    op.execute(
        "UPDATE campaign SET waiting_reason = NULL "
        "WHERE waiting_reason IN ('daily_limit', 'account_not_configured')"
    )
    op.drop_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', type_='check')
    op.alter_column('campaign', 'waiting_reason', type_=sa.String(length=16))
    op.create_check_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', _check(_OLD))
