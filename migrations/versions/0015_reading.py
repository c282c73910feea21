"""policy_version: the document and interpretation as submitted for sign-off, one row per version

Signers see what changed between the version they sign and the one before. Cases submitted
before this have no rows; their first version submitted after it is the first one kept.

Revision ID: 0015_reading
Revises: 0013_drafts
Create Date: 2026-12-01 23:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = '0015_reading'
down_revision = '0013_drafts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'policy_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('document_text', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column('plan_text', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column('materials_text', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('submitted_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_policy_version_case_id', 'policy_version', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_policy_version_case_id', table_name='policy_version')
    op.drop_table('policy_version')
