"""office profile: the particulars every letter carries

One row (id 1): the agency's name and 文号 code, address and phone, the reconsideration body and
court its replies name, and its electronic seal. Empty until an administrator fills it in.

Revision ID: 0008_office
Revises: 0007
Create Date: 2026-12-01 20:13:05
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision = '0008_office'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('office_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('postal_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reconsideration_body', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('court', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('seal_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('office_profile')
