"""exclusion lists, contact limits by purpose, retention, erasure; recipient partitioned

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:00:00

- exclusion_list, exclusion_entry: named lists of numbers by the purposes they apply to.
- daily_contact: keyed by purpose too (CONTACT_LIMITS counts per purpose); ``day`` is the
  first day of the limit's period.  Existing rows take their campaign's purpose.
- waiting reason ``daily_limit`` is now ``contact_limit`` (a limit may be a week).
- tenant.retention_days; campaign.checks, purged_at, purge_reason.
- erased_number, erasure_audit; suppression_removal.msisdn holds a 32-digit hash too.
- inbound_message loses its foreign key to recipient: retention deletes a campaign's
  replies with its recipients, and the key's check on each deleted recipient would cost
  more than the delete.
- recipient: partitioned by ranges of campaign ids (``store.partitions``).  An existing
  table's rows become one partition, ``recipient_legacy``, covering the campaigns it
  holds: nothing is copied (docs/architecture.md, "Retention and the recipient table",
  says how to prepare a large table so that this takes seconds).
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# Campaign ids per recipient partition: store.partitions.WIDTH (a database's partitions
# follow one grid, so it never changes).
WIDTH = 250

_REASONS = ('window', 'balance', 'maintenance', 'auth', 'operator', 'start_at',
            'account_not_configured')


def _check(contact: str) -> str:
    listed = ", ".join(f"'{v}'" for v in (*_REASONS, contact))
    return f"waiting_reason IS NULL OR waiting_reason IN ({listed})"


_RECIPIENT_STATUS = (
    "status IN ('pending', 'accepted', 'rejected', 'invalid', 'suppressed', 'uncertain', "
    "'cancelled', 'failed')"
)
_FK = 'fk_inbound_message_recipient'


def _partitioned_recipient() -> None:
    op.create_table(
        'recipient',
        sa.Column('campaign_id', sa.BigInteger(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=True),
        sa.Column('chunk_seq', sa.Integer(), nullable=True),
        sa.Column('msisdn', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=64), nullable=True),
        sa.Column('code', sa.BigInteger(), nullable=True),
        sa.Column('provider_ref', sa.String(length=32), nullable=True),
        sa.Column('text_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint(_RECIPIENT_STATUS, name=op.f('ck_recipient_status')),
        sa.PrimaryKeyConstraint('campaign_id', 'n', name=op.f('pk_recipient')),
        postgresql_partition_by='RANGE (campaign_id)',
    )


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('tenant', sa.Column('retention_days', sa.Integer(), nullable=True))
    op.add_column('campaign', sa.Column('checks', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('campaign', sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('campaign', sa.Column('purge_reason', sa.Text(), nullable=True))

    op.drop_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', type_='check')
    op.execute("UPDATE campaign SET waiting_reason = 'contact_limit' WHERE waiting_reason = 'daily_limit'")
    op.execute("UPDATE chunk SET waiting_reason = 'contact_limit' WHERE waiting_reason = 'daily_limit'")
    op.create_check_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', _check('contact_limit'))

    op.add_column('daily_contact', sa.Column('purpose', sa.String(length=16), server_default='commercial', nullable=False))
    op.execute(
        "UPDATE daily_contact d SET purpose = c.purpose FROM campaign c WHERE c.id = d.campaign_id"
    )
    op.alter_column('daily_contact', 'purpose', server_default=None)
    op.drop_constraint(op.f('pk_daily_contact'), 'daily_contact', type_='primary')
    op.create_primary_key(op.f('pk_daily_contact'), 'daily_contact', ['tenant_id', 'purpose', 'msisdn', 'day'])

    op.create_table(
        'exclusion_list',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('purposes', postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column('source', sa.Text(), nullable=True),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('imported_by', sa.String(length=200), nullable=True),
        sa.Column('size', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_exclusion_list')),
    )
    op.create_table(
        'exclusion_entry',
        sa.Column('msisdn', sa.String(length=12), nullable=False),
        sa.Column('list_name', sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint('msisdn', 'list_name', name=op.f('pk_exclusion_entry')),
    )
    op.create_table(
        'erased_number',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_erased_number')),
    )
    op.create_table(
        'erasure_audit',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('by', sa.String(length=200), nullable=False),
        sa.Column('why', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('changed', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_audit')),
    )
    op.create_index(op.f('ix_erasure_audit_digest'), 'erasure_audit', ['digest'], unique=False)
    op.alter_column('suppression_removal', 'msisdn', type_=sa.String(length=32))

    # recipient -> partitioned by campaign-id ranges
    op.drop_constraint(_FK, 'inbound_message', type_='foreignkey')
    top = bind.execute(sa.text("SELECT max(campaign_id) FROM recipient")).scalar()
    if top is None:
        op.drop_table('recipient')
        _partitioned_recipient()
    else:
        # The rows stay where they are, as the partition of every campaign so far.  The
        # CHECK lets ATTACH skip its scan; on a large table, create it beforehand with
        # NOT VALID and VALIDATE it while sending goes on (the architecture doc).
        bound = (int(top) // WIDTH + 1) * WIDTH
        op.execute("ALTER TABLE recipient RENAME TO recipient_legacy")
        op.execute("ALTER INDEX pk_recipient RENAME TO pk_recipient_legacy")
        op.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = "
            "'recipient_legacy_bound') THEN ALTER TABLE recipient_legacy ADD CONSTRAINT "
            f"recipient_legacy_bound CHECK (campaign_id < {bound}); END IF; END $$"
        )
        _partitioned_recipient()
        op.execute(
            "ALTER TABLE recipient ATTACH PARTITION recipient_legacy "
            f"FOR VALUES FROM (MINVALUE) TO ({bound})"
        )


def downgrade() -> None:
    # replies whose recipient is gone (retention, erasure) lose the link the key checks
    op.execute(
        "UPDATE inbound_message SET campaign_id = NULL, recipient_n = NULL WHERE "
        "recipient_n IS NOT NULL AND NOT EXISTS (SELECT 1 FROM recipient r WHERE "
        "r.campaign_id = inbound_message.campaign_id AND r.n = inbound_message.recipient_n)"
    )
    op.execute("CREATE TABLE recipient_plain (LIKE recipient INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("INSERT INTO recipient_plain SELECT * FROM recipient")
    op.execute("DROP TABLE recipient CASCADE")
    op.execute("ALTER TABLE recipient_plain RENAME TO recipient")
    op.create_primary_key(op.f('pk_recipient'), 'recipient', ['campaign_id', 'n'])
    op.create_foreign_key(
        _FK, 'inbound_message', 'recipient', ['campaign_id', 'recipient_n'],
        ['campaign_id', 'n'], ondelete='SET NULL',
    )
    op.alter_column('suppression_removal', 'msisdn', type_=sa.String(length=12))
    op.drop_index(op.f('ix_erasure_audit_digest'), table_name='erasure_audit')
    op.drop_table('erasure_audit')
    op.drop_table('erased_number')
    op.drop_table('exclusion_entry')
    op.drop_table('exclusion_list')
    op.drop_constraint(op.f('pk_daily_contact'), 'daily_contact', type_='primary')
    op.execute(
        "DELETE FROM daily_contact a USING daily_contact b WHERE a.tenant_id = b.tenant_id "
        "AND a.msisdn = b.msisdn AND a.day = b.day AND a.purpose > b.purpose"
    )
    op.create_primary_key(op.f('pk_daily_contact'), 'daily_contact', ['tenant_id', 'msisdn', 'day'])
    op.drop_column('daily_contact', 'purpose')
    op.drop_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', type_='check')
    op.execute("UPDATE campaign SET waiting_reason = 'daily_limit' WHERE waiting_reason = 'contact_limit'")
    op.execute("UPDATE chunk SET waiting_reason = 'daily_limit' WHERE waiting_reason = 'contact_limit'")
    op.create_check_constraint(op.f('ck_campaign_waiting_reason'), 'campaign', _check('daily_limit'))
    op.drop_column('campaign', 'purge_reason')
    op.drop_column('campaign', 'purged_at')
    op.drop_column('campaign', 'checks')
    op.drop_column('tenant', 'retention_days')
