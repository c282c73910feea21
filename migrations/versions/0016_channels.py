"""channels: messages outside the browser

delivery: the outbox of messages to e-mail and group robots, one row per message and receiver, keyed
by an idempotency key. department_channel: a department's group robots, their webhook and signing
secret sealed. account.email, account.mobile: work contacts (empty for existing accounts).

Revision ID: 0016_channels
Revises: 0014_logins
Create Date: 2026-12-02 02:08:44.529945
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision = '0016_channels'
down_revision = '0014_logins'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=240), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('applicant', sa.Boolean(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('release_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('interrupted', sa.Integer(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('fallback_of', sqlmodel.sql.sqltypes.AutoString(length=240), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_delivery_status_release', ['status', 'release_at'], unique=False)

    op.create_table('department_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('endpoint', sa.LargeBinary(), nullable=False),
    sa.Column('hint', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_test_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_test_answer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('failing_since', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('department_channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_channel_department_id'), ['department_id'], unique=False)

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('mobile')
        batch_op.drop_column('email')

    with op.batch_alter_table('department_channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_channel_department_id'))

    op.drop_table('department_channel')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_status_release')
        batch_op.drop_index(batch_op.f('ix_delivery_case_id'))

    op.drop_table('delivery')
