"""suppressions by owner: a tenant's own suppressions apply to its own campaigns only

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:00:00

- suppression.tenant_id: 0 for every tenant on the account (opt-outs, the provider's
  -8, an operator's list), else the tenant that added it.  Part of the primary key, so
  two tenants may each suppress one number.  Existing rows become 0: they keep applying
  to everyone, as they did.
- suppression_removal.tenant_id: whose suppression was removed.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('suppression', sa.Column('tenant_id', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.drop_constraint('pk_suppression', 'suppression', type_='primary')
    op.create_primary_key('pk_suppression', 'suppression', ['account', 'msisdn', 'tenant_id'])
    op.add_column('suppression_removal', sa.Column('tenant_id', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    op.drop_column('suppression_removal', 'tenant_id')
    op.execute("DELETE FROM suppression WHERE tenant_id <> 0")
    op.drop_constraint('pk_suppression', 'suppression', type_='primary')
    op.create_primary_key('pk_suppression', 'suppression', ['account', 'msisdn'])
    op.drop_column('suppression', 'tenant_id')
