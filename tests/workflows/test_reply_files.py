"""The documents a reply discloses: they travel with the draft, stay with a returned draft, are
replaced by a redraft that lists others, and are projected as rows of purpose 'reply'."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from contracts.disclosure import Attachment
from gongkai.clock import CST, local_date
from models import DisclosureAttachment
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from workflows.disclosure import DisclosureWorkflow

START = datetime(2026, 3, 2, 9, 30, tzinfo=CST)


def _file(name: str, content_type: str = "application/pdf") -> Attachment:
    return Attachment(name, content_type, 1024, hashlib.sha256(name.encode()).hexdigest())


async def _rows(db, rid: str) -> list[tuple[str, str]]:
    async with db.session_factory() as s:
        rows = (await s.execute(select(DisclosureAttachment).where(DisclosureAttachment.request_id == rid)
                                .order_by(DisclosureAttachment.id))).scalars()
        return [(r.purpose, r.filename) for r in rows]


async def test_reply_files_follow_the_draft(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000901"
    inp = request_input(rid, await department_id(db, "JYJ"), await env.get_current_time())
    handle = await start(env, run, inp)
    await env.sleep(timedelta(seconds=3))
    officer, head = a["jyj_officer"], a["gkb_head"]
    await act(handle, DisclosureWorkflow.claim, officer)
    await act(handle, DisclosureWorkflow.accept, officer)
    plan, budget = _file("2026年招生计划.pdf"), _file("经费预算.docx", "application/vnd.openxmlformats-"
                                                                "officedocument.wordprocessingml.document")
    view = await act(handle, DisclosureWorkflow.draft_reply, officer, "GRANTED", "granted", "予以公开，见附件。",
                     [plan, budget])
    assert view.reply_files == [plan, budget]
    assert await _rows(db, rid) == [("reply", "2026年招生计划.pdf"), ("reply", "经费预算.docx")]

    # Returned for changes, the draft keeps its files; a redraft without files listed keeps them too.
    view = await act(handle, DisclosureWorkflow.sign_off, head, False, "请补充说明")
    assert view.reply_files == [plan, budget]
    view = await act(handle, DisclosureWorkflow.draft_reply, officer, "GRANTED", "granted", "予以公开。")
    assert view.reply_files == [plan, budget]
    await act(handle, DisclosureWorkflow.sign_off, head, False, "预算不属于申请范围")
    with pytest.raises(WorkflowUpdateFailedError) as refused:  # a descriptor that is no stored file
        await act(handle, DisclosureWorkflow.draft_reply, officer, "GRANTED", "granted", "x",
                  [Attachment("a.pdf", "application/pdf", 1, "not-a-digest")])
    assert "答复附件无效" in str(refused.value.cause)
    # A redraft that lists its files replaces them.
    revised = _file("2026年招生计划（修订）.pdf")
    view = await act(handle, DisclosureWorkflow.draft_reply, officer, "GRANTED", "granted", "予以公开。",
                     [plan, revised])
    assert view.reply_files == [plan, revised]
    assert await _rows(db, rid) == [("reply", "2026年招生计划.pdf"), ("reply", "2026年招生计划（修订）.pdf")]

    await act(handle, DisclosureWorkflow.sign_off, head, True, "")
    today = local_date(await env.get_current_time()).isoformat()
    view = await act(handle, DisclosureWorkflow.send_reply, officer, today, "email")
    assert view.stage == "replied" and view.reply_files == [plan, revised]
    assert await _rows(db, rid) == [("reply", "2026年招生计划.pdf"), ("reply", "2026年招生计划（修订）.pdf")]
    record((await handle.fetch_history()).to_json(), "disclosure", "reply_files")
