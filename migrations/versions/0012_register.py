"""register: keyed hashes of applicants' ID and phone numbers, to find a request by them

The register (台账) finds a request by the applicant's whole ID or phone number through an
HMAC-SHA256 of the normalised number (gongkai/lookup.py), keyed from the installation secret, so
the numbers themselves are never searched in clear. New rows get their hashes where they are
written (disclosure.create); this migration hashes the rows already there. It reads the secret as
the application does (GONGKAI_SECRET_KEY or var/secret). Offline (`alembic upgrade --sql`) there
are no rows to read: run the upgrade online (`gongkai migrate`, which `gongkai run` does at start).

Revision ID: 0012_register
Revises: 0008_office
Create Date: 2026-12-01 20:30:00
"""
import sqlalchemy as sa
from alembic import context, op

revision = '0012_register'
down_revision = '0008_office'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table('disclosure_request') as batch:
        batch.add_column(sa.Column('id_doc_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch.create_index('ix_disclosure_request_id_doc_hash', ['id_doc_hash'])
        batch.create_index('ix_disclosure_request_phone_hash', ['phone_hash'])
    if not context.is_offline_mode():
        _backfill()


def _backfill() -> None:
    from gongkai.lookup import ID_DOC, PHONE, LookupKeys
    from gongkai.settings import load_settings

    settings = load_settings()
    keys = LookupKeys.of(settings.secret_key, settings.previous_secret_keys)
    table = sa.table('disclosure_request', sa.column('id', sa.String), sa.column('id_doc_number', sa.String),
                     sa.column('contact_phone', sa.String), sa.column('id_doc_hash', sa.String),
                     sa.column('phone_hash', sa.String))
    conn = op.get_bind()
    after = ""
    while True:
        rows = conn.execute(sa.select(table.c.id, table.c.id_doc_number, table.c.contact_phone)
                            .where(table.c.id > after).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        for request_id, number, phone in rows:
            conn.execute(table.update().where(table.c.id == request_id).values(
                id_doc_hash=keys.digest(ID_DOC, number or ""), phone_hash=keys.digest(PHONE, phone or "")))
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('disclosure_request') as batch:
        batch.drop_index('ix_disclosure_request_phone_hash')
        batch.drop_index('ix_disclosure_request_id_doc_hash')
        batch.drop_column('phone_hash')
        batch.drop_column('id_doc_hash')
