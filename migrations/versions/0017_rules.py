"""rules: versions of the office's time-limit rules (its jurisdiction profile)

rule_version: one row per version of the installation's profile, every rule's full terms, what
changed from the version before, who changed it and why. Version 1 is installed from the shipped
profile the first time the rules are read.

Revision ID: 0017_rules
Revises: 0016_channels
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision = '0017_rules'
down_revision = '0016_channels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('profile', 'number')
    )
    with op.batch_alter_table('rule_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_version_profile'), ['profile'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rule_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_version_profile'))
    op.drop_table('rule_version')
