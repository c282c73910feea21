"""The idempotent writes every projection is made of, on each database backend: what they report
decides whether a projection creates a row, counts a notification or stops as a retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from activities.store import insert_once, sync_stage_tasks, update_if_older
from contracts.case import TaskSpec
from models import AuditEvent, PolicyCase, Task

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_insert_once_says_whether_it_inserted(db):
    async with db.session_factory() as s:
        entry = dict(case_id="PD-1", actor="a", action="x", summary="s")
        assert await insert_once(s, AuditEvent(key="PD-1/v1", **entry)) is True
        assert await insert_once(s, AuditEvent(key="PD-1/v1", **{**entry, "summary": "again"})) is False
        case = dict(title="t", issuance="department", department_id=1, stage="drafting")
        assert await insert_once(s, PolicyCase(id="PD-1", version=1, **case), on="id") is True
        assert await insert_once(s, PolicyCase(id="PD-1", version=2, **case), on="id") is False
        await s.commit()
    async with db.session_factory() as s:
        assert (await s.get(PolicyCase, "PD-1")).version == 1
        assert [e.summary for e in (await s.execute(select(AuditEvent))).scalars()] == ["s"]


async def test_update_if_older_writes_only_a_newer_version(db):
    async with db.session_factory() as s:
        assert await update_if_older(s, PolicyCase, "PD-1", 1, {"stage": "drafting"}) is False  # no row
        await insert_once(s, PolicyCase(id="PD-1", title="t", issuance="department", department_id=1,
                                        stage="drafting", version=2), on="id")
        assert await update_if_older(s, PolicyCase, "PD-1", 2, {"stage": "stale"}) is False  # a retry
        assert await update_if_older(s, PolicyCase, "PD-1", 1, {"stage": "stale"}) is False  # overtaken
        assert await update_if_older(s, PolicyCase, "PD-1", 3, {"stage": "sign_off", "state": {"a": 1}}) is True
        await s.commit()
    async with db.session_factory() as s:
        row = await s.get(PolicyCase, "PD-1")
        assert (row.stage, row.version, row.state) == ("sign_off", 3, {"a": 1})


async def test_sync_stage_tasks_closes_adds_keeps_and_reopens(db):
    def spec(key: str, assignee: int | None = None) -> TaskSpec:
        return TaskSpec(key, "stage:" + key.split(":")[1].split("/")[0], key, 1, None, assignee, None, AT)

    async def open_tasks() -> dict[str, int | None]:
        async with db.session_factory() as s:
            return {t.key: t.assignee_id for t in (await s.execute(select(Task).where(
                Task.case_id == "DR-1", Task.status == "open"))).scalars()}

    async def sync(*tasks: TaskSpec, at: datetime = AT) -> None:
        async with db.session_factory() as s:
            await sync_stage_tasks(s, "DR-1", "DR-1", "disclosure", list(tasks), at)
            await s.commit()

    await sync(spec("DR-1/stage:review/1"))
    assert await open_tasks() == {"DR-1/stage:review/1": None}
    await sync(spec("DR-1/stage:review/1", 7), spec("DR-1/stage:extension/2"))  # claimed; a second task
    assert await open_tasks() == {"DR-1/stage:review/1": 7, "DR-1/stage:extension/2": None}
    await sync(spec("DR-1/stage:handle/3", 7), at=AT + timedelta(hours=1))
    assert await open_tasks() == {"DR-1/stage:handle/3": 7}
    await sync(spec("DR-1/stage:handle/3", 7), spec("DR-1/stage:review/1", 8))  # wanted again: reopened
    assert await open_tasks() == {"DR-1/stage:handle/3": 7, "DR-1/stage:review/1": 8}
    await sync()
    assert await open_tasks() == {}
    async with db.session_factory() as s:
        rows = list((await s.execute(select(Task).where(Task.case_id == "DR-1"))).scalars())
    assert len(rows) == 3 and all(t.status == "done" and t.closed_at is not None for t in rows)
