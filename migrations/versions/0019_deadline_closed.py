"""deadline_closed: an index on deadline (state, closed_at)

The supervisors' board counts the year's met and late clocks; with 200,000 publication items a year
that count read every closed row (about 0.8 s on SQLite). The index answers it alone.

Revision ID: 0019_deadline_closed
Revises: 0018_publication
Create Date: 2026-12-02 07:40:00
"""
from alembic import op

revision = '0019_deadline_closed'
down_revision = '0018_publication'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_state_closed', ['state', 'closed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_state_closed')
