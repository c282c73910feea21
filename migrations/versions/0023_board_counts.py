"""board_counts: the clocks' (state, due_at) index carries the department

The supervisors' board counts the running clocks due within its horizon by department. PostgreSQL
reads them from the partial index of running clocks; SQLite cannot use that index for a condition
with a bound value (state = ?), took (state, due_at) and read every counted clock's row for its
department: 70 ms of the board's 100 at a million requests. With the department in the index the
count reads the index alone on both.

Revision ID: 0023_board_counts
Revises: 0022_open_work_indexes
Create Date: 2026-12-02 23:40:00
"""
from alembic import op

revision = '0023_board_counts'
down_revision = '0022_open_work_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_deadline_state_due', table_name='deadline')
    op.create_index('ix_deadline_state_due', 'deadline', ['state', 'due_at', 'department_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deadline_state_due', table_name='deadline')
    op.create_index('ix_deadline_state_due', 'deadline', ['state', 'due_at'], unique=False)
