"""signed callbacks, delivered once

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 11:00:00

- tenant.callback_secret: the key of each tenant's callback signatures.
- callback_delivery: one row per event to tell a backend system about, claimed by one
  deliverer at a time, retried with backoff for a day.
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tenant', sa.Column('callback_secret', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for (tenant_id,) in conn.execute(sa.text('SELECT id FROM tenant')).all():
        conn.execute(
            sa.text('UPDATE tenant SET callback_secret = :s WHERE id = :i'),
            {'s': secrets.token_hex(32), 'i': tenant_id},
        )
    op.alter_column('tenant', 'callback_secret', nullable=False)
    op.create_table('callback_delivery',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'delivering', 'delivered', 'failed')", name=op.f('ck_callback_delivery_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_callback_delivery_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_callback_delivery_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_delivery')),
    sa.UniqueConstraint('campaign_id', 'event', name='uq_callback_delivery_campaign_event')
    )
    op.create_index('ix_callback_delivery_state_next_at', 'callback_delivery', ['state', 'next_at'], unique=False)
    op.drop_column('campaign', 'callback_done_at')  # the delivery row says it now


def downgrade() -> None:
    op.add_column('campaign', sa.Column('callback_done_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_index('ix_callback_delivery_state_next_at', table_name='callback_delivery')
    op.drop_table('callback_delivery')
    op.drop_column('tenant', 'callback_secret')
