"""drafts: what a signed-in person typed in a long form and has not submitted yet (暂存)

Revision ID: 0013_drafts
Revises: 0012_register
Create Date: 2026-12-01 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_drafts'
down_revision = '0012_register'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'form_draft',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['account.id']),
        sa.PrimaryKeyConstraint('user_id', 'key'),
    )
    with op.batch_alter_table('form_draft') as batch:
        batch.create_index('ix_form_draft_saved_at', ['saved_at'])


def downgrade() -> None:
    with op.batch_alter_table('form_draft') as batch:
        batch.drop_index('ix_form_draft_saved_at')
    op.drop_table('form_draft')
