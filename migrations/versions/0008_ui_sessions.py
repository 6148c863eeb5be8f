"""the operator page's sessions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 01:00:00

- ui_session: a browser signed in at /ui with an API key.  The cookie holds a random
  token; only its SHA-256 is stored, beside the key it stands for, the form token (CSRF)
  and when it expires.  Revoking the key ends its sessions; signing out deletes the row.
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ui_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('api_key_id', sa.BigInteger(), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_ui_session_api_key_id_api_key'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_ui_session')),
    )
    op.create_index('ix_ui_session_expires_at', 'ui_session', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_ui_session_expires_at', table_name='ui_session')
    op.drop_table('ui_session')
