"""disclosure_attachment.purpose: the applicant's files, and those the reply discloses

Existing rows are the applicants' (ID copies): they take 'application'.

Revision ID: 0011_reply_files
Revises: 0010_corrections
Create Date: 2026-12-01 20:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011_reply_files'
down_revision = '0010_corrections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('disclosure_attachment') as batch:
        batch.add_column(sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                   server_default='application'))


def downgrade() -> None:
    with op.batch_alter_table('disclosure_attachment') as batch:
        batch.drop_column('purpose')
