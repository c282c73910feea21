"""`gongkai move-database URL`: an installation's SQLite database copied into a new PostgreSQL one
(gongkai/move.py), every table counted on both sides, JSON, instants and booleans as they were,
ids going on past the copied ones, the accounts able to log in; and the refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select
from sqlmodel import Session, SQLModel

from gongkai.passwords import verify_password
from models import AuditEvent, Department, DisclosureRequest, User
from tests.support.database import _new_url, _settings_for, _sync, create_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AT = datetime(2026, 11, 20, 2, 30, 15, 123456, tzinfo=UTC)


def _move(source_url: str, target_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shell.cli", "move-database", target_url], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GONGKAI_ENV": "test", "GONGKAI_DATABASE_URL": source_url})


async def test_a_sqlite_installation_moves_to_postgresql_whole(db):
    source = create_database("sqlite")  # seeded: departments, accounts, calendars, catalogue, office
    try:
        engine = create_engine(_settings_for(source.url).sync_database_url)
        with Session(engine) as s:
            dept = s.execute(select(Department.id).where(Department.code == "JYJ")).scalar_one()
            s.add(DisclosureRequest(
                id="DR-2026-000001", year=2026, idempotency_key="k1", query_code_hash="", stage="review",
                intake_channel="online", submitted_at=AT, applicant_type="natural_person", applicant_name="张伟",
                id_doc_type="resident_id", id_doc_number="11010119900101123X", description="申请公开征地补偿方案",
                provision_form="electronic", provision_channel="email", department_id=dept,
                state={"stage": "review", "notes": ["一", "二"]}, version=3))
            for i in range(3):
                s.add(AuditEvent(key=f"move-{i}", case_id="DR-2026-000001", at=AT, actor="jyj_officer",
                                 action="claimed", summary="认领", detail={"n": i}))
            s.commit()
        engine.dispose()
        if db.backend == "sqlite":  # the target must be PostgreSQL, and the source must be SQLite
            refused = _move(source.url, source.url)
            assert refused.returncode == 2 and "PostgreSQL" in refused.stderr
            return
        target_url, name = _new_url("postgres")
        try:
            moved = _move(source.url, target_url)
            assert moved.returncode == 0, moved.stderr
            assert "every table counted on both sides" in moved.stdout
            a = create_engine(_settings_for(source.url).sync_database_url)
            b = create_engine(_sync(target_url))
            with a.connect() as x, b.connect() as y:
                for table in SQLModel.metadata.sorted_tables:
                    count = select(func.count()).select_from(table)
                    assert x.execute(count).scalar_one() == y.execute(count).scalar_one(), table.name
                assert y.execute(select(func.count()).select_from(User.__table__)).scalar_one() > 5
            with Session(b) as s:
                request = s.get(DisclosureRequest, "DR-2026-000001")
                assert request.state == {"stage": "review", "notes": ["一", "二"]} and request.submitted_at == AT
                assert request.applicant_name == "张伟" and request.version == 3
                officer = s.execute(select(User).where(User.username == "jyj_officer")).scalar_one()
                assert officer.active is True and verify_password(officer.password_hash, "gongkai2026")
                s.add(AuditEvent(key="after-move", case_id="DR-2026-000001", actor="x", action="noted", summary=""))
                s.commit()
                ids = list(s.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars())
                assert ids[-1] > ids[-2] and len(set(ids)) == len(ids)  # the sequence goes on past the copied ids
            a.dispose()
            b.dispose()
            again = _move(source.url, target_url)
            assert again.returncode == 2 and "not empty" in again.stderr
        finally:
            from tests.support.database import _admin

            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await source.close()
