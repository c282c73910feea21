"""open_work_indexes: a department's unclaimed tasks in due order; the running clocks with their department

At a province's scale (100,000 open tasks among a million) an officer's inbox and home page read
their department's unclaimed tasks soonest first. With only (status, department_id, assignee_id,
due_at), PostgreSQL took "assignee_id IS NULL" for no equality, would have had to sort, and walked
every open task in due order instead, filtering (11 ms of a page). A partial index holds exactly
those rows in order. The supervisors' board counts overdue clocks by department: the partial index
of running clocks now carries the department, so the count reads the index alone.

Revision ID: 0022_open_work_indexes
Revises: 0021_search_grams
Create Date: 2026-12-02 13:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_open_work_indexes'
down_revision = '0021_search_grams'
branch_labels = None
depends_on = None

UNCLAIMED = sa.text("status = 'open' AND assignee_id IS NULL")
RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    op.create_index('ix_task_unclaimed_due', 'task', ['department_id', 'due_at'], unique=False,
                    sqlite_where=UNCLAIMED, postgresql_where=UNCLAIMED)
    op.drop_index('ix_deadline_running', table_name='deadline')
    op.create_index('ix_deadline_running', 'deadline', ['due_at', 'department_id'], unique=False,
                    sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade() -> None:
    op.drop_index('ix_deadline_running', table_name='deadline')
    op.create_index('ix_deadline_running', 'deadline', ['due_at'], unique=False,
                    sqlite_where=RUNNING, postgresql_where=RUNNING)
    op.drop_index('ix_task_unclaimed_due', table_name='task')
