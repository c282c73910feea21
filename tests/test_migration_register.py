"""Migration 0012_register hashes the applicants' numbers of the requests already there, with the
installation's lookup key, so the register finds old requests by phone and ID number too; `gongkai
rehash` rewrites them after a secret rotation."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, select, text

from gongkai.database import alembic_config
from gongkai.lookup import ID_DOC, PHONE, LookupKeys, rehash
from models import DisclosureRequest
from tests.support.database import _settings_for, backends, create_database


async def test_requests_registered_before_the_register_get_their_number_hashes():
    for backend in backends():
        database = create_database(backend, revision="0011_reply_files")
        try:
            settings = _settings_for(database.url)
            engine = create_engine(settings.sync_database_url)
            now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
            with engine.begin() as conn:
                for i, (number, phone) in enumerate([("11010119900101123x", "138 0000 0000"), ("E1234567", "")]):
                    conn.execute(text(
                        "INSERT INTO disclosure_request (id, year, idempotency_key, query_code_hash, stage, "
                        "intake_channel, submitted_at, applicant_type, applicant_name, id_doc_type, id_doc_number, "
                        "contact_phone, contact_email, contact_address, description, provision_form, "
                        "provision_channel, department_id, public_note, correction_items, extension_days, "
                        "reply_text, state, version, created_at, updated_at) VALUES (:id, 2026, :key, '', "
                        "'archived', 'in_person', :now, 'natural_person', '王小明', 'resident_id', :number, :phone, "
                        "'', '', '申请公开', 'electronic', 'email', 3, '', '', 0, '', '{}', 3, :now, :now)"),
                        {"id": f"DR-2026-00000{i + 1}", "key": f"k{i}", "now": now, "number": number, "phone": phone})
            command.upgrade(alembic_config(settings.sync_database_url), "head")
            keys = LookupKeys.of(settings.secret_key)
            with engine.connect() as conn:
                rows = conn.execute(select(DisclosureRequest.id, DisclosureRequest.id_doc_hash,
                                           DisclosureRequest.phone_hash).order_by(DisclosureRequest.id)).all()
            assert [tuple(r) for r in rows] == [
                ("DR-2026-000001", keys.digest(ID_DOC, "11010119900101123X"), keys.digest(PHONE, "13800000000")),
                ("DR-2026-000002", keys.digest(ID_DOC, "E1234567"), None),  # no phone: nothing to find it by
            ]
            # After a secret rotation, `gongkai rehash` rewrites them with the new key.
            rotated = LookupKeys.of("the-next-secret-of-this-installation", (settings.secret_key,))
            with engine.begin() as conn:
                assert rehash(conn, rotated) == 2
            with engine.connect() as conn:
                hashes = conn.execute(select(DisclosureRequest.id_doc_hash).order_by(DisclosureRequest.id)).scalars()
                assert list(hashes) == [rotated.digest(ID_DOC, "11010119900101123X"),
                                        rotated.digest(ID_DOC, "E1234567")]
            engine.dispose()
        finally:
            await database.close()
