"""several provider accounts; key roles

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:40:00

- api_key.role (tenant | operator) and api_key.accounts (the provider accounts a key
  may send through; NULL: all).
- suppression per provider account (the provider blocks numbers per account): the
  rows there are so far belong to the one account, 'default'.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_key', sa.Column('role', sa.String(length=16), server_default=sa.text("'tenant'"), nullable=False))
    op.create_check_constraint(op.f('ck_api_key_role'), 'api_key', "role IN ('tenant', 'operator')")
    op.add_column('api_key', sa.Column('accounts', postgresql.ARRAY(sa.String(length=64)), nullable=True))
    op.add_column('suppression', sa.Column('account', sa.String(length=64), server_default=sa.text("'default'"), nullable=False))
    op.alter_column('suppression', 'account', server_default=None)
    op.drop_constraint('pk_suppression', 'suppression', type_='primary')
    op.create_primary_key('pk_suppression', 'suppression', ['account', 'msisdn'])


def downgrade() -> None:
    op.execute("DELETE FROM suppression WHERE account <> 'default'")
    op.drop_constraint('pk_suppression', 'suppression', type_='primary')
    op.create_primary_key('pk_suppression', 'suppression', ['msisdn'])
    op.drop_column('suppression', 'account')
    op.drop_column('api_key', 'accounts')
    op.drop_constraint(op.f('ck_api_key_role'), 'api_key', type_='check')
    op.drop_column('api_key', 'role')
