"""list_indexes: a partial index of the running clocks; an item's Beijing month of trigger

At 200,000 publication items a year the running clocks are a few thousand. With only an index on
(state, due_at) both planners guessed a third of all rows per state and started a department's list
from the department's items; the partial index tells them how few run. The assessment's figures
grouped a year of items by a date function of each row; `trigger_month` (202609) with an index on
(trigger_month, department_id, outcome) lets the index answer them alone.

Revision ID: 0020_list_indexes
Revises: 0019_deadline_closed
Create Date: 2026-12-02 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_list_indexes'
down_revision = '0019_deadline_closed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    running = sa.text("state = 'running'")
    op.create_index('ix_deadline_running', 'deadline', ['due_at'], unique=False,
                    sqlite_where=running, postgresql_where=running)
    with op.batch_alter_table('publication_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trigger_month', sa.Integer(), nullable=False, server_default='0'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE publication_item SET trigger_month = "
                   "CAST(to_char(timezone('Asia/Shanghai', triggered_at), 'YYYYMM') AS INTEGER)")
    else:
        op.execute("UPDATE publication_item SET trigger_month = "
                   "CAST(strftime('%Y%m', triggered_at, '+8 hours') AS INTEGER)")
    with op.batch_alter_table('publication_item', schema=None) as batch_op:
        batch_op.create_index('ix_publication_item_month', ['trigger_month', 'department_id', 'outcome'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publication_item', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_item_month')
        batch_op.drop_column('trigger_month')
    op.drop_index('ix_deadline_running', table_name='deadline')
