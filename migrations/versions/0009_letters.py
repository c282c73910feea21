"""letters as official documents: 文号, the seal they were issued with, their PDF

Each letter gets its 发文字号 (numbered per agency code, year and kind of letter from
`letter_counter`, in the transaction that issues it), the office's seal at issuance, and the
hash of the PDF made on its first download (kept in the blob store, so every download is the
same document). Letters issued before keep an empty 文号.

Revision ID: 0009_letters
Revises: 0008_office
Create Date: 2026-12-01 20:20:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009_letters'
down_revision = '0008_office'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('letter_counter',
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('agency_code', 'year', 'kind')
    )
    with op.batch_alter_table('letter') as batch:
        batch.add_column(sa.Column('doc_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('seal_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('letter') as batch:
        batch.drop_column('pdf_sha256')
        batch.drop_column('seal_sha256')
        batch.drop_column('doc_no')
    op.drop_table('letter_counter')
