"""replies, opt-outs, the suppression list's audit, reports by date

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 12:00:00

- reply_target: the latest two-way campaign that reached a number through an account,
  so a reply is attributed without an index on recipient.msisdn.
- inbound_message: the account, and indexes for de-duplication and a campaign's replies.
- campaign.reply_url, tenant.reply_url; campaign.n_replies and n_opt_outs.
- suppression.by and a CHECK on its source; suppression_removal audits removals.
- callback_delivery.inbound_id: one delivery per reply (and still one "finished" per
  campaign).
- ix_campaign_tenant_id_updated_at: the campaigns a date-range report reads.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tenant', sa.Column('reply_url', sa.Text(), nullable=True))
    op.add_column('campaign', sa.Column('reply_url', sa.Text(), nullable=True))
    op.add_column('campaign', sa.Column('n_replies', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('campaign', sa.Column('n_opt_outs', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.create_index('ix_campaign_tenant_id_updated_at', 'campaign', ['tenant_id', 'updated_at'], unique=False)

    op.create_table('reply_target',
    sa.Column('msisdn', sa.String(length=12), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('msisdn', 'account', name=op.f('pk_reply_target'))
    )

    op.add_column('inbound_message', sa.Column('account', sa.String(length=64), nullable=True))
    op.create_index('ix_inbound_message_msisdn_at', 'inbound_message', ['msisdn', 'at'], unique=False)
    op.create_index('ix_inbound_message_campaign_id_id', 'inbound_message', ['campaign_id', 'id'], unique=False)

    op.add_column('suppression', sa.Column('by', sa.String(length=200), nullable=True))
    op.alter_column('suppression', 'source', type_=sa.String(length=16))
    op.create_check_constraint(
        'source', 'suppression', "source IN ('reply', 'provider', 'import', 'tenant')"
    )
    op.create_table('suppression_removal',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('msisdn', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_by', sa.String(length=200), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppression_removal'))
    )
    op.create_index(op.f('ix_suppression_removal_msisdn'), 'suppression_removal', ['msisdn'], unique=False)

    op.add_column('callback_delivery', sa.Column('inbound_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f('fk_callback_delivery_inbound_id_inbound_message'), 'callback_delivery',
        'inbound_message', ['inbound_id'], ['id'], ondelete='CASCADE',
    )
    op.create_unique_constraint(op.f('uq_callback_delivery_inbound_id'), 'callback_delivery', ['inbound_id'])
    op.drop_constraint('uq_callback_delivery_campaign_event', 'callback_delivery', type_='unique')
    op.create_index(
        'uq_callback_delivery_campaign_event', 'callback_delivery', ['campaign_id', 'event'],
        unique=True, postgresql_where=sa.text('inbound_id IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('uq_callback_delivery_campaign_event', table_name='callback_delivery')
    op.execute('DELETE FROM callback_delivery WHERE inbound_id IS NOT NULL')
    op.create_unique_constraint('uq_callback_delivery_campaign_event', 'callback_delivery', ['campaign_id', 'event'])
    op.drop_constraint(op.f('uq_callback_delivery_inbound_id'), 'callback_delivery', type_='unique')
    op.drop_constraint(op.f('fk_callback_delivery_inbound_id_inbound_message'), 'callback_delivery', type_='foreignkey')
    op.drop_column('callback_delivery', 'inbound_id')
    op.drop_index(op.f('ix_suppression_removal_msisdn'), table_name='suppression_removal')
    op.drop_table('suppression_removal')
    op.drop_constraint(op.f('ck_suppression_source'), 'suppression', type_='check')
    op.alter_column('suppression', 'source', type_=sa.String(length=64))
    op.drop_column('suppression', 'by')
    op.drop_index('ix_inbound_message_campaign_id_id', table_name='inbound_message')
    op.drop_index('ix_inbound_message_msisdn_at', table_name='inbound_message')
    op.drop_column('inbound_message', 'account')
    op.drop_table('reply_target')
    op.drop_index('ix_campaign_tenant_id_updated_at', table_name='campaign')
    op.drop_column('campaign', 'n_opt_outs')
    op.drop_column('campaign', 'n_replies')
    op.drop_column('campaign', 'reply_url')
    op.drop_column('tenant', 'reply_url')
