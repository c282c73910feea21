"""The reply's sign-off and the extension's approval on the case page: the draft collapsed, the
chain of opinions above the decision, nothing pre-selected, and no choice refused with its message
(what was typed kept, nothing sent to the case)."""

from __future__ import annotations

import re

from sqlmodel import select

from models import DisclosureRequest, User
from tests.web.conftest import login, post_form
from tests.web.test_disclosure_pages import _apply
from tests.web.test_disclosure_pages import _form as _application


def _form(html: str, action: str) -> str:
    found = re.search(rf'<form[^>]*data-action="{action}".*?</form>', html, re.S)
    assert found, f"no {action} form"
    return found.group(0)


async def test_the_office_head_must_choose_and_reads_the_opinions_first(live, db):
    receipt = await _apply(live, _application())
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    case = f"/disclosure/{code}"
    await login(live, "gkb_officer")
    reply = {"disposition": "GRANTED", "reason": "granted", "text": "予以公开，见附件。"}
    for action, data in [("confirm_receipt", {}), ("claim", {}),
                         ("request_extension", {"days": "10", "reason": "需向第三方征求意见"}), ("accept", {}),
                         ("draft_reply", reply)]:
        r = await post_form(live, f"{case}/{action}", data, token_from=case)
        assert r.status_code in (302, 303), (action, r.text[:500])
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")

    async with db.session_factory() as s:
        officer = (await s.execute(select(User).where(User.username == "gkb_officer"))).scalar_one().display_name
    page = (await live.get(case)).text
    for action in ("sign_off", "decide_extension"):
        form = _form(page, action)
        assert 'name="approve"' in form and "checked" not in form, action  # nothing pre-selected
        assert "拟办意见" in form and officer in form and "gkb_officer" not in form
    sign = _form(page, "sign_off")
    assert "<details" in sign and "予以公开，见附件。" in sign and "拟答复" in sign
    assert "申请延期：需向第三方征求意见" in _form(page, "decide_extension")

    refused = await post_form(live, f"{case}/sign_off", {"comment": "措辞再斟酌"}, token_from=case)
    assert refused.status_code == 400
    form = _form(refused.text, "sign_off")
    assert "请选择“同意”或“退回修改”后再提交" in form and 'data-error-for="approve"' in form
    assert 'value="措辞再斟酌"' in form  # what was typed is kept
    refused = await post_form(live, f"{case}/decide_extension", {}, token_from=case)
    assert refused.status_code == 400 and "请选择“同意”或“不同意”后再提交" in refused.text
    async with db.session_factory() as s:
        row = await s.get(DisclosureRequest, code)
    assert row.stage == "sign_off" and row.state["extension"]["status"] == "requested"  # nothing decided

    r = await post_form(live, f"{case}/sign_off", {"approve": "true", "comment": "同意答复"}, token_from=case)
    assert r.status_code in (302, 303)
    page = (await live.get(case)).text
    async with db.session_factory() as s:
        assert (await s.get(DisclosureRequest, code)).stage == "signed"
    assert _form(page, "decide_extension").count("公开办负责人") >= 1  # the sign-off is now in the chain
    assert "同意：同意答复" in _form(page, "decide_extension")


async def test_policy_versions_are_kept_at_submission_and_the_queue_refuses_no_choice(live, db):
    from models import PolicyCase, PolicyVersion
    from tests.web.test_browser_roles import DRAFT, V1, V2

    await login(live, "jyj_officer")
    r = await post_form(live, "/policy/new", {"title": "老旧小区改造实施办法", "issuance": "department",
                                              "form_key": "roles-versions"}, token_from="/policy")
    case = r.headers["location"]
    cid = case.rsplit("/", 1)[1]

    async def step(action: str, data: dict) -> None:
        r = await post_form(live, f"{case}/{action}", data, token_from=case)
        assert r.status_code in (302, 303), (action, r.text[:500])

    await step("update_draft", {**DRAFT, "document_text": V1})
    await step("submit", {})
    assert "第1版是第一次报送的版本" in (await live.get(f"{case}/versions")).text
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    queue = (await live.get("/policy/queue")).text
    assert "<details" in queue and "checked" not in queue and "拟办意见" in queue
    refused = await post_form(live, f"/policy/queue/{cid}/sign", {"version": "1", "comment": "扩大适用范围"},
                              token_from="/policy/queue")
    assert refused.status_code == 400 and "请选择“同意”或“退回”后再提交" in refused.text
    assert 'value="扩大适用范围"' in refused.text and 'data-queue-item="' + cid in refused.text  # the queue again
    await step("sign", {"version": "1", "approve": "false", "comment": "扩大适用范围"})
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    await step("update_draft", {**DRAFT, "document_text": V2})
    await step("submit", {})
    async with db.session_factory() as s:
        kept = [(v.number, v.document_text, v.submitted_by) for v in (await s.execute(
            select(PolicyVersion).where(PolicyVersion.case_id == cid).order_by(PolicyVersion.number))).scalars()]
        assert (await s.get(PolicyCase, cid)).document_version == 2
    assert kept == [(1, V1, "jyj_officer"), (2, V2, "jyj_officer")]
    page = (await live.get(f"{case}/versions")).text
    assert "<del>1</del><ins>3</ins>" in page and "<ins>及乡镇</ins>" in page
    assert (await live.get(f"{case}/versions", params={"number": "7"})).status_code == 404
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zrzy_officer")
    assert (await live.get(f"{case}/versions")).status_code == 403  # another department's document
