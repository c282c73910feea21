"""register: keyed hashes of applicants' ID and phone numbers, to find a request by them

The register (台账) finds a request by the applicant's whole ID or phone number through an
HMAC-SHA256 of the normalised number (gongkai/lookup.py), keyed from the installation secret, so
the numbers themselves are never searched in clear. New rows get their hashes where they are
written (disclosure.create); this migration hashes the rows already there. It reads the secret as
the application does (GONGKAI_SECRET_KEY or var/secret). Offline (`alembic upgrade --sql`) there
are no rows to read: after applying such a script, run `gongkai rehash` (`gongkai migrate`, which
`gongkai run` does at start, upgrades online and needs nothing more).

Revision ID: 0012_register
Revises: 0011_reply_files
Create Date: 2026-12-01 20:30:00
"""
import sqlalchemy as sa
from alembic import context, op

revision = '0012_register'
down_revision = '0011_reply_files'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('disclosure_request') as batch:
        batch.add_column(sa.Column('id_doc_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch.create_index('ix_disclosure_request_id_doc_hash', ['id_doc_hash'])
        batch.create_index('ix_disclosure_request_phone_hash', ['phone_hash'])
    if not context.is_offline_mode():
        _backfill()


def _backfill() -> None:
    from gongkai.lookup import LookupKeys, rehash
    from gongkai.settings import load_settings

    settings = load_settings()
    rehash(op.get_bind(), LookupKeys.of(settings.secret_key, settings.previous_secret_keys))


def downgrade() -> None:
    with op.batch_alter_table('disclosure_request') as batch:
        batch.drop_index('ix_disclosure_request_phone_hash')
        batch.drop_index('ix_disclosure_request_id_doc_hash')
        batch.drop_column('phone_hash')
        batch.drop_column('id_doc_hash')
