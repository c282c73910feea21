"""`alembic upgrade head` on an empty database gives exactly the schema the models declare:
a model change without its migration fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select
from sqlmodel import SQLModel

import models  # noqa: F401
from models import IncidentCase, PolicyCase


def test_migrations_match_the_models(db):
    url = db.url
    if url.startswith("postgres"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


# What the code before the case kit wrote into `state` (asdict of its views, plus extras).
OLD_POLICY_STATE = {
    "case_id": "PD-2026-000009", "stage": "secrecy_review", "version": 6, "document_version": 2, "returns": 1,
    "signatures": [{"role": "dept_head", "who": "jyj_head", "at": "2026-11-20T02:00:00+00:00", "version": 2,
                    "what": "document+interpretation"}], "missing": [], "comment": "",
    "draft": {"disclosure_mode": "proactive", "disclosure_scope": "full", "reasons": "", "has_document": True,
              "has_plan": True, "materials": ["qa"], "channels": "", "title": None, "doc_number": None,
              "document_text": "正文", "plan_text": "方案", "materials_text": "问答"},
    "published": {"on": "", "url": "", "interpretation_on": "", "interpretation_url": "", "website": ""},
    "returns_reasons": ["缺少解读材料"], "notes": [], "co_issuers": [],
}
OLD_INCIDENT_STATE = {
    "case_id": "IN-2026-000009", "stage": "follow_up", "version": 4, "releases": [
        {"text": "通报", "channel": "weibo", "released_at": "2026-11-20T03:00:00+00:00", "approved_by": "办公室",
         "by": "wjw_officer", "recorded_at": "2026-11-20T03:01:00+00:00"}],
    "press_held": False, "triage": "", "late": [], "description": "详情", "press": None, "triage_note": "",
    "referrals": [], "evaluation": None, "follow_up_hours": 24, "follow_ups": 0, "anchors": {}, "created_by": "x",
}


async def test_rows_written_before_the_kit_read_as_typed_views():
    """Migration 0005 completes the `state` of rows the code before the kit wrote, from the rows' own
    columns, so every page reads them as its process's view (an incident's view needs its department)."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text
    from temporalio.converter import value_to_type

    from contracts.incident import IncidentView
    from contracts.policy import PolicyView
    from gongkai.database import alembic_config
    from tests.support.database import _settings_for, backends, create_database

    for backend in backends():
        database = create_database(backend, revision="0004")
        try:
            engine = create_engine(_settings_for(database.url).sync_database_url)
            now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
            with engine.begin() as conn:
                conn.execute(PolicyCase.__table__.insert().values(
                    id="PD-2026-000009", title="老旧小区改造", doc_number="", issuance="department", department_id=3,
                    normative=True, disclosure_mode="proactive", disclosure_scope="full", stage="secrecy_review",
                    document_version=2, returns=1, state=OLD_POLICY_STATE, version=6, created_at=now, updated_at=now))
                conn.execute(IncidentCase.__table__.insert().values(
                    id="IN-2026-000009", title="网传某医院拒收病人", grade="general", source="online",
                    location="某医院", department_id=5, co_departments=[4], occurred_at=now, detected_at=now,
                    stage="follow_up", triage="", releases=1, late_at_registration=False, state=OLD_INCIDENT_STATE,
                    version=4, created_at=now, updated_at=now))
            command.upgrade(alembic_config(_settings_for(database.url).sync_database_url), "head")
            with engine.connect() as conn:
                policy = conn.execute(select(PolicyCase.state)).scalar_one()
                incident = conn.execute(select(IncidentCase.state)).scalar_one()
                assert conn.execute(text("select count(*) from policy_case")).scalar_one() == 1
            engine.dispose()
            p = value_to_type(PolicyView, policy)
            assert (p.title, p.issuance, p.department_id, p.normative, p.website_open) == (
                "老旧小区改造", "department", 3, True, False)
            assert p.signatures[0].at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC) and p.draft.materials == ["qa"]
            i = value_to_type(IncidentView, incident)
            assert (i.department_id, i.co_departments, i.title, i.occurred_at) == (5, [4], "网传某医院拒收病人", now)
            assert i.releases[0].approved_by == "办公室" and i.press is None
        finally:
            await database.close()


async def test_items_registered_before_0020_count_in_their_beijing_month():
    """Migration 0020 fills `trigger_month` of the items already kept from their trigger instant,
    in Beijing time: 30 September 17:00 UTC is 1 October in Beijing."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    from gongkai.database import alembic_config
    from models import PublicationItem
    from tests.support.database import _settings_for, backends, create_database

    for backend in backends():
        database = create_database(backend, revision="0019_deadline_closed")
        try:
            engine = create_engine(_settings_for(database.url).sync_database_url)
            with engine.begin() as conn:
                for n, at in enumerate((datetime(2026, 9, 30, 17, 0, tzinfo=UTC),
                                        datetime(2026, 9, 30, 15, 59, tzinfo=UTC))):
                    conn.execute(text(
                        "INSERT INTO publication_item (id, title, kind, department_id, stage, channels, "
                        "published_channels, triggered_at, outcome, source, external_key, state, version, "
                        "created_at, updated_at) VALUES (:id, '处罚决定', 'penalty', 3, 'drafting', '[]', 0, :at, "
                        "'', 'form', '', '{}', 1, :at, :at)"), {"id": f"PI-2026-00000{n}", "at": at})
            command.upgrade(alembic_config(_settings_for(database.url).sync_database_url), "head")
            with engine.connect() as conn:
                months = dict(conn.execute(select(PublicationItem.id, PublicationItem.trigger_month)).all())
            engine.dispose()
            assert months == {"PI-2026-000000": 202610, "PI-2026-000001": 202609}
        finally:
            await database.close()
