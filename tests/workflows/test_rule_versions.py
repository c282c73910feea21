"""A case keeps the rules version it started with (its workflow input carries it): a newer version
moves none of its deadlines until an administrator applies it to open cases, after seeing which
deadlines move and by how much. Applying moves them through the case's `recompute` update, with an
audit entry naming the version and a notice to the assignee; histories recorded before the change
(and with it) replay."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from contracts.deadline import RECOMPUTE_UPDATE, Recompute
from gongkai import disclosure as request_rules
from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, ClockKind, ClockSpec, compute
from gongkai.recompute import preview_rules
from gongkai.rule_store import current_book, latest, save
from models import AuditEvent, Deadline, Notification, User
from tests.support.histories import record, replayer
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from web.recompute import apply_rules
from workflows.disclosure import DisclosureWorkflow
from workflows.registry import WORKFLOWS

START = datetime(2026, 3, 2, 9, 30, tzinfo=CST)  # a Monday with no holiday near


async def _due(db, deadline_id: str) -> datetime | None:
    async with db.session_factory() as s:
        row = await s.get(Deadline, deadline_id)
        assert row is not None
        return row.due_at


async def _expected(db, amount: int) -> datetime | None:
    async with db.session_factory() as s:
        spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=amount, start=START)
        return compute(spec, await load_calendar(s)).due_at


async def _shorten_reply(db, amount: int, reason: str) -> int:
    async with db.session_factory() as s:
        row = await latest(s)
        reply = (await current_book(s)).rule("reply")
        saved = await save(s, {"reply": dataclasses.replace(reply, amount=amount)}, base=row.number, origin="ui",
                           reason=reason, actor="admin", actor_name="系统管理员")
        return saved.number


async def test_a_case_keeps_its_version_until_the_change_is_applied(env, db, run):
    a = await actors(db)
    async with db.session_factory() as s:
        book = await current_book(s, request_rules.RULES)
    assert book.version == 1 and set(book.rules) == request_rules.RULES
    rid = "DR-2026-000901"
    inp = dataclasses.replace(request_input(rid, await department_id(db, "JYJ"), START), rules=book)
    handle = await start(env, run, inp)
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])  # the assignee, who will be told
    reply = f"{rid}/reply"
    first = await _due(db, reply)
    assert first == await _expected(db, 20)
    async with db.session_factory() as s:
        row = await s.get(Deadline, reply)
        assert row is not None and "20个工作日；规则版本 1，随系统发布（全国通用规则）" in row.explanation[0]
    before_change = await handle.fetch_history()

    # Version 2 shortens the reply limit: the open case keeps its due date.
    assert await _shorten_reply(db, 15, "按本地方案缩短答复期限") == 2
    await env.sleep(timedelta(hours=1))
    assert await _due(db, reply) == first
    await replayer(WORKFLOWS).replay_workflow(before_change)  # recorded before the change: replays

    # The preview lists the case, from and to; nothing moves yet.
    async with db.session_factory() as s:
        v2 = await latest(s)
        moves = await preview_rules(s, v2)
    expected = await _expected(db, 15)
    assert [(m.case_id, m.rule, m.due_from, m.due_to) for m in moves] == [(rid, "reply", first, expected)]
    assert await _due(db, reply) == first

    # Only an administrator may apply it (the update's validator refuses anyone else, writing nothing).
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(RECOMPUTE_UPDATE, args=[a["jyj_head"], Recompute("x")])
    assert "系统管理员" in str(refused.value.cause)

    async with db.session_factory() as s:
        applied = await apply_rules(env.client, s, v2, a["admin"])
    assert (applied.cases, applied.moved, applied.failed) == (1, 1, [])
    assert await _due(db, reply) == expected
    async with db.session_factory() as s:
        audit = list((await s.execute(select(AuditEvent).where(AuditEvent.case_id == rid)
                                      .order_by(AuditEvent.at, AuditEvent.id))).scalars())
        moved = [e for e in audit if e.action == "deadline_moved"]
        assert len(moved) == 1 and "适用规则第 2 版" in moved[0].summary and moved[0].actor == "admin"
        assert moved[0].detail["to"] == expected.isoformat()
        assert any(e.action == "rules_applied" and "按本地方案缩短答复期限" in e.summary for e in audit)
        officer = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
        told = list((await s.execute(select(Notification).where(
            Notification.case_id == rid, Notification.user_id == officer.id,
            Notification.title.like("【期限调整】%")))).scalars())
        assert len(told) == 1 and "答复" in told[0].body
        row = await s.get(Deadline, reply)
        assert row is not None and row.spec["rules_version"] == 2

    # A second apply finds nothing to do and changes nothing.
    async with db.session_factory() as s:
        assert await preview_rules(s, v2) == []
        again = await apply_rules(env.client, s, v2, a["admin"])
    assert (again.cases, again.moved) == (0, 0)
    assert await handle.execute_update(RECOMPUTE_UPDATE, args=[a["admin"], Recompute("again", (await _book(db)))]) == []

    # The case's own explanation now names version 2.
    async with db.session_factory() as s:
        row = await s.get(Deadline, reply)
        assert row is not None and "15个工作日；规则版本 2，" in row.explanation[0]
        assert "系统管理员修改：按本地方案缩短答复期限" in row.explanation[0]
    history = await handle.fetch_history()
    record(history.to_json(), "disclosure", "rules_applied")
    await replayer(WORKFLOWS).replay_workflow(history)
    await handle.terminate("test done")


async def _book(db):
    async with db.session_factory() as s:
        return await current_book(s)


async def test_a_case_started_before_versions_runs_by_the_shipped_rules_and_takes_a_new_version(env, db, run):
    """A case whose input has no rules (started before versions) runs by the shipped national
    profile; applying version 2 reaches it too."""
    a = await actors(db)
    rid = "DR-2026-000902"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), START))
    await env.sleep(timedelta(seconds=3))
    assert await _due(db, f"{rid}/reply") == await _expected(db, 20)
    async with db.session_factory() as s:
        await latest(s)  # version 1 installed
    await _shorten_reply(db, 10, "试行")
    async with db.session_factory() as s:
        v2 = await latest(s)
        assert [m.case_id for m in await preview_rules(s, v2)] == [rid]
        applied = await apply_rules(env.client, s, v2, a["admin"])
    assert applied.moved == 1
    assert await _due(db, f"{rid}/reply") == await _expected(db, 10)
    await handle.terminate("test done")


async def test_a_major_incident_under_linyis_rules_starts_only_the_clocks_its_plan_has(env, db, run):
    """临沂's plan has no 5-hour rule and counts the 24-hour press conference from the opinion case's
    detection (四(十六)): its case starts that one clock, from detection."""
    from contracts.incident import IncidentInput
    from gongkai import incident as incident_rules
    from gongkai.rule_store import book_of
    from models import IncidentCase
    from workflows.incident import IncidentWorkflow

    async with db.session_factory() as s:
        book = book_of(await latest(s, "linyi")).only(incident_rules.RULES)
    assert not book.rule("authoritative_release").applies and book.rule("press_conference").anchor == "detection"
    now = await env.get_current_time()
    event, found = now - timedelta(hours=3), now - timedelta(hours=1)
    anchors = {r: book.rule(r).anchor for r in ("press_conference",)}
    inp = IncidentInput("IN-2026-000901", "某化工厂仓库火灾", "仓库起火", "某工业园区", "major", "online", event, found,
                        await department_id(db, "WJW"), [], "wjw_officer", 24, anchors, rules=book)
    handle = await env.client.start_workflow(IncidentWorkflow.run, inp, id=inp.case_id, task_queue=run)
    async with db.session_factory() as s:
        for _ in range(200):
            if await s.get(IncidentCase, inp.case_id):
                break
            await env.sleep(timedelta(seconds=1))
        clocks = list((await s.execute(select(Deadline).where(Deadline.case_id == inp.case_id))).scalars())
    assert [(d.rule, d.due_at) for d in clocks] == [("press_conference", found + timedelta(hours=24))]
    assert "规则版本 1" in clocks[0].explanation[0] and "临沂" in clocks[0].explanation[0]
    history = await handle.fetch_history()
    record(history.to_json(), "incident", "linyi_rules")
    await replayer(WORKFLOWS).replay_workflow(history)
    await handle.terminate("test done")
