"""saved message templates per tenant; campaigns marked as tests

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 08:00:00

- message_template: a tenant's saved messages (name, message, purpose, method), a name
  once per tenant.  Another tenant never reads them.
- campaign.test: a small campaign sent to check a message before the real one (the
  page's "Send a test"); false for every existing campaign (adding it is instant).
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_template',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_message_template_tenant_id_tenant'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
        sa.UniqueConstraint('tenant_id', 'name', name='uq_message_template_tenant_name'),
    )
    op.add_column('campaign', sa.Column('test', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade() -> None:
    op.drop_column('campaign', 'test')
    op.drop_table('message_template')
