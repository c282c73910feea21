"""corrections: files that came with a corrected application

A corrected application (from /track, or registered by an officer when it came by post or in
person) brings files of its own; they are kept beside the application's, numbered by the
correction they came with.

Revision ID: 0010_corrections
Revises: 0009_letters
Create Date: 2026-12-01 20:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_corrections'
down_revision = '0009_letters'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('disclosure_attachment') as batch:
        batch.add_column(sa.Column('correction', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('disclosure_attachment') as batch:
        batch.drop_column('correction')
