"""intake codes: the applicant's query code is kept (hashed) beside the form key, not in the case row

Query codes were derived from the form's key with the secret and their unsalted SHA-256 travelled in
the workflow's input to the request row. New codes are random and their argon2 hash is written by
the intake into `intake_key.code_hash`, and nowhere else. The codes already handed out keep working:
their old hash moves to `intake_key` marked `sha256:`, and leaves the request row.

Revision ID: 0007
Revises: 0006_throttles
Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006_throttles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('intake_key') as batch:
        batch.add_column(sa.Column('code_hash', sa.String(length=400), nullable=True))
        batch.create_index('ix_intake_key_request_id', ['request_id'])
    op.execute(
        "UPDATE intake_key SET code_hash = 'sha256:' || (SELECT r.query_code_hash FROM disclosure_request r "
        "WHERE r.id = intake_key.request_id) "
        "WHERE EXISTS (SELECT 1 FROM disclosure_request r WHERE r.id = intake_key.request_id "
        "AND r.query_code_hash <> '')")
    op.execute("UPDATE disclosure_request SET query_code_hash = ''")


def downgrade() -> None:
    op.execute(
        "UPDATE disclosure_request SET query_code_hash = COALESCE((SELECT substr(k.code_hash, 8) FROM intake_key k "
        "WHERE k.request_id = disclosure_request.id AND k.code_hash LIKE 'sha256:%'), '')")
    with op.batch_alter_table('intake_key') as batch:
        batch.drop_index('ix_intake_key_request_id')
        batch.drop_column('code_hash')
