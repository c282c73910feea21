"""throttles: one table of rate-limit counters (login, /track, public intake) replaces login_failure

Login failures were read, then written, per web process's view of the row; the new table is
counted and checked in one statement (gongkai/throttle.py). The old rows are recent failures
only, so they are dropped, not carried over: at worst a guesser gets its free attempts again.

Revision ID: 0006_throttles
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = '0006_throttles'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('granted', sa.Integer(), nullable=False),
    sa.Column('window_start', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_before', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_last_at'), ['last_at'], unique=False)
    op.drop_table('login_failure')


def downgrade() -> None:
    op.create_table('login_failure',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_last_at'))
    op.drop_table('throttle')
