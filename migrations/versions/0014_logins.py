"""logins: a password change forced after an administrator set the password; wall-screen links

account.must_change_password: accounts an administrator creates or whose password an administrator
resets change it at their next login. Existing accounts take false (nobody is stopped by the upgrade).
display_link: read-only links to a board for a wall screen (大屏), made and revoked by an
administrator; only a hash of each link's token is stored.

Revision ID: 0014_logins
Revises: 0015_reading
Create Date: 2026-12-01 23:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = '0014_logins'
down_revision = '0015_reading'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table('display_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('board', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('last_seen_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('display_link') as batch:
        batch.create_index(batch.f('ix_display_link_token_hash'), ['token_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('display_link') as batch:
        batch.drop_index(batch.f('ix_display_link_token_hash'))
    op.drop_table('display_link')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('must_change_password')
