"""The letters a disclosure request issues, in skipped time: a receipt at registration, the
consultation's two letters (the applicant told, the consulted body asked), the reply naming where
to seek redress; each with its 文号. Cases started before these letters keep the ones they had."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.worker import PatchActivationInput, Worker

from gongkai.clock import CST, local_date
from models import Letter
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from worker import build_activities
from workflows.calls import ONE_STEP
from workflows.disclosure import CONSULTATION_LETTERS, RECEIPT_LETTER, DisclosureWorkflow

START = datetime(2026, 3, 2, 9, 30, tzinfo=CST)  # a Monday with no holiday near


def before_the_letters(inp: PatchActivationInput) -> bool:
    # A case started before the letters was started before steps were one activity too (a case of
    # that era takes every earlier patch without asking).
    return inp.patch_id not in {RECEIPT_LETTER, CONSULTATION_LETTERS, ONE_STEP}


@pytest.fixture(params=["today", "before the letters"])
async def run(request, env, db):
    queue = f"q-{uuid.uuid4()}"
    legacy = request.param != "today"
    async with Worker(env.client, task_queue=queue, workflows=[DisclosureWorkflow],
                      activities=build_activities(db.session_factory),
                      patch_activation_callback=before_the_letters if legacy else None):
        yield queue, legacy


async def _letters(db, rid: str) -> list[Letter]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Letter).where(Letter.case_id == rid).order_by(Letter.id))).scalars())


async def test_a_consulted_request_issues_numbered_letters(env, db, run):
    queue, legacy = run
    a = await actors(db)
    rid = "DR-2026-000701"
    handle = await start(env, queue, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.start_consultation, a["jyj_officer"], "某某科技有限公司", "third_party")
    await env.sleep(timedelta(days=5))
    await act(handle, DisclosureWorkflow.end_consultation, a["jyj_officer"], "第三方同意公开")
    await act(handle, DisclosureWorkflow.draft_reply, a["jyj_officer"], "GRANTED", "granted", "第一段。\n第二段。")
    await act(handle, DisclosureWorkflow.sign_off, a["gkb_head"], True, "")
    today = local_date(await env.get_current_time()).isoformat()
    await act(handle, DisclosureWorkflow.send_reply, a["jyj_officer"], today, "email")

    letters = await _letters(db, rid)
    if legacy:  # as the code before issue 14 issued them (rendered today, numbered today)
        assert [(x.kind, x.title, x.public) for x in letters] == [
            ("consultation", "征求意见函", True), ("reply_GRANTED", "政府信息公开申请答复书（予以公开）", True)]
        return
    assert [(x.kind, x.public) for x in letters] == [
        ("receipt", True), ("consultation", True), ("consultation_request", False), ("reply_GRANTED", True)]
    receipt, told, asked, reply = letters
    assert receipt.doc_no == "示区府公开受〔2026〕1号" and "第三十一条" in receipt.body and "王小明：" in receipt.body
    assert told.doc_no == "示区府公开征告〔2026〕1号" and "征求第三方的意见" in told.body
    assert "某某科技有限公司" not in told.body and "第三方（或其他机关）" not in told.body
    assert asked.doc_no == "示区府公开征〔2026〕1号" and "某某科技有限公司：" in asked.body
    assert "王小明" not in asked.body
    assert "15个工作日" in asked.body and "第三十二条" in asked.body
    assert reply.doc_no == "示区府公开答〔2026〕1号"
    assert "<p>第一段。</p>" in reply.body and "<p>第二段。</p>" in reply.body
    assert "向某某市人民政府申请行政复议" in reply.body and "向某某市中级人民法院提起行政诉讼" in reply.body
    assert all(x.seal_sha256 and "<!--seal-->" in x.body for x in letters)
    record((await handle.fetch_history()).to_json(), "disclosure", "letters")


async def test_an_online_request_gets_its_receipt_before_the_day_is_confirmed(env, db, run):
    queue, legacy = run
    rid = "DR-2026-000702"
    await start(env, queue, request_input(rid, await department_id(db, "GKB"), await env.get_current_time(),
                                          channel="online", received=None))
    await env.sleep(timedelta(seconds=3))
    letters = await _letters(db, rid)
    if legacy:
        assert letters == []
        return
    (receipt,) = letters
    assert receipt.kind == "receipt" and "双方确认之日" in receipt.body and "二〇二六年三月二日" in receipt.body
    record((await env.client.get_workflow_handle(rid).fetch_history()).to_json(), "disclosure", "receipt_online")
