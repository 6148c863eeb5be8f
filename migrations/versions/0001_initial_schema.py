"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 16:11:58.612467
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_account',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('methods', postgresql.ARRAY(sa.String(length=8)), nullable=False),
    sa.Column('links_allowed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('paused', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('pause_reason', sa.String(length=32), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_balance', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_provider_account'))
    )
    op.create_table('suppression',
    sa.Column('msisdn', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('msisdn', name=op.f('pk_suppression'))
    )
    op.create_table('tenant',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant')),
    sa.UniqueConstraint('name', name=op.f('uq_tenant_name'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_api_key_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix'))
    )
    op.create_index(op.f('ix_api_key_tenant_id'), 'api_key', ['tenant_id'], unique=False)
    op.create_table('campaign',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.SmallInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waiting_reason', sa.String(length=16), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('callback_url', sa.Text(), nullable=True),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('segments', sa.SmallInteger(), nullable=False),
    sa.Column('submitted', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('sendable', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('invalid', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('duplicate', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('suppressed', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('chunks', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("method IN ('1via', '2via', 'flash')", name=op.f('ck_campaign_method')),
    sa.CheckConstraint("purpose IN ('transactional', 'commercial', 'collection')", name=op.f('ck_campaign_purpose')),
    sa.CheckConstraint("status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed')", name=op.f('ck_campaign_status')),
    sa.CheckConstraint("waiting_reason IS NULL OR waiting_reason IN ('window', 'balance', 'maintenance', 'auth', 'operator', 'start_at')", name=op.f('ck_campaign_waiting_reason')),
    sa.ForeignKeyConstraint(['account'], ['provider_account.name'], name=op.f('fk_campaign_account_provider_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_campaign_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name='uq_campaign_tenant_idempotency')
    )
    op.create_index('ix_campaign_status_priority', 'campaign', ['status', 'priority'], unique=False)
    op.create_index('ix_campaign_tenant_id_id', 'campaign', ['tenant_id', 'id'], unique=False)
    op.create_table('chunk',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('n_lo', sa.Integer(), nullable=False),
    sa.Column('n_hi', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waiting_reason', sa.String(length=16), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('http_status', sa.SmallInteger(), nullable=True),
    sa.Column('raw_answer', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('ready', 'queued', 'sending', 'done', 'deferred', 'uncertain', 'cancelled', 'failed')", name=op.f('ck_chunk_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_chunk_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chunk')),
    sa.UniqueConstraint('campaign_id', 'seq', name='uq_chunk_campaign_seq')
    )
    op.create_index('ix_chunk_campaign_open', 'chunk', ['campaign_id', 'seq'], unique=False, postgresql_where=sa.text("status IN ('ready', 'queued', 'sending', 'deferred')"))
    op.create_index('ix_chunk_status_not_before', 'chunk', ['status', 'not_before'], unique=False)
    op.create_table('recipient',
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('chunk_seq', sa.Integer(), nullable=True),
    sa.Column('msisdn', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('code', sa.BigInteger(), nullable=True),
    sa.Column('provider_ref', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected', 'invalid', 'suppressed', 'uncertain', 'cancelled', 'failed')", name=op.f('ck_recipient_status')),
    sa.PrimaryKeyConstraint('campaign_id', 'n', name=op.f('pk_recipient'))
    )
    op.create_table('inbound_message',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('msisdn', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('recipient_n', sa.Integer(), nullable=True),
    sa.Column('opt_out', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id', 'recipient_n'], ['recipient.campaign_id', 'recipient.n'], name='fk_inbound_message_recipient', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_message'))
    )
    op.create_index('ix_inbound_message_at', 'inbound_message', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbound_message_at', table_name='inbound_message')
    op.drop_table('inbound_message')
    op.drop_table('recipient')
    op.drop_index('ix_chunk_status_not_before', table_name='chunk')
    op.drop_index('ix_chunk_campaign_open', table_name='chunk', postgresql_where=sa.text("status IN ('ready', 'queued', 'sending', 'deferred')"))
    op.drop_table('chunk')
    op.drop_index('ix_campaign_tenant_id_id', table_name='campaign')
    op.drop_index('ix_campaign_status_priority', table_name='campaign')
    op.drop_table('campaign')
    op.drop_index(op.f('ix_api_key_tenant_id'), table_name='api_key')
    op.drop_table('api_key')
    op.drop_table('tenant')
    op.drop_table('suppression')
    op.drop_table('provider_account')
