"""A policy document released with its interpretation (三同步): one workflow per document.

Drafting with the files and the disclosure attribute → completeness gate → attribute review when
not fully public (E03) → the department head signs document and interpretation in one act → for
a draft in the government's name, the government office reviews (and may return it, 退文; a draft
of its own goes straight on) and the responsible leader signs → confidentiality review →
publication, whose date starts the interpretation clock (and the website clock of a normative
document) → interpretation published → follow-up reminders while in force → closed."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.policy import PolicyActivities
    from contracts.case import NoticeSpec
    from contracts.policy import (
        ACTIONS,
        WORKFLOW,
        Draft,
        ItemsWanted,
        PolicyInput,
        PolicyState,
        PolicyView,
        Signature,
        website_instant,
    )
    from contracts.publication import WORKFLOW as PUBLICATION_WORKFLOW
    from contracts.publication import PublicationInput
    from gongkai import policy as rules
    from gongkai import publication
    from gongkai.clock import end_of_day, start_of_day
    from gongkai.explain import due_text
    from gongkai.policy import Stage
    from gongkai.roles import Actor, Role
    from workflows.calls import call, patched
    from workflows.kit import CaseWorkflow, Work, action, case


# Patch id: a draft of the government office itself skips the office's review.
OWN_DRAFT = "policy-own-draft-to-leader"
# Patch id: a normative document's website and gazette publication are publication items, not a
# clock of the policy case.
PUBLICATION_ITEMS = "policy-publication-items"
# Patch id: saving updates the working draft; a new version of the document is made only when it is
# submitted (报送审签) with files that differ from the last submitted ones.
VERSION_AT_SUBMIT = "policy-version-at-submit"


def _files(d: Draft) -> tuple:
    return (d.has_document, d.has_plan, sorted(d.materials), d.document_text, d.plan_text, d.materials_text)


def _fingerprint(d: Draft) -> str:
    return hashlib.sha256(json.dumps(_files(d), ensure_ascii=False).encode()).hexdigest()


@case(WORKFLOW)
class PolicyWorkflow(CaseWorkflow[PolicyInput, PolicyState, PolicyView]):
    PROCESS, ACTIONS, PROJECT, STEP = "policy", ACTIONS, PolicyActivities.project, PolicyActivities.step
    TITLE = "政策文件 {title}"

    # -- the case --------------------------------------------------------------------------------------
    def _missing(self) -> list[str]:
        d = self.state.draft
        return rules.missing_items(has_document=d.has_document, has_plan=d.has_plan, materials=d.materials,
                                   mode=d.disclosure_mode, scope=d.disclosure_scope, reasons=d.reasons)

    def view(self) -> PolicyView:
        inp, s = self.inp, self.state
        return PolicyView(**self.snapshot(), case_id=inp.case_id, version=self.version, title=inp.title,
                          issuance=inp.issuance, normative=inp.normative,
                          doc_number=s.draft.doc_number or inp.doc_number, co_issuers=list(inp.co_issuers),
                          returns=len(s.returns_reasons), missing=self._missing(),
                          website_open=self.deadline("website") is not None)

    def work(self) -> list[Work]:
        dept = self.inp.department_id
        who = {
            Stage.DRAFTING: (dept, None, "起草政策文件及解读"),
            Stage.ATTRIBUTE_REVIEW: (None, Role.OFFICE_HEAD, "审查公开属性"),
            Stage.SIGN_OFF: (dept, Role.DEPT_HEAD, "审签文件及解读"),
            Stage.OFFICE_REVIEW: (self.inp.reviewing_office, Role.DEPT_HEAD, "政府办审核代拟稿"),
            Stage.LEADER_SIGN_OFF: (None, Role.LEADER, "领导审签"),
            Stage.SECRECY_REVIEW: (dept, Role.DEPT_HEAD, "保密审查"),
            Stage.READY: (dept, None, "发布政策文件"), Stage.PUBLISHED: (dept, None, "发布解读材料"),
        }.get(self.state.stage)
        if who is None:
            return []
        department, role, title = who
        return [Work(f"stage:policy_{self.state.stage.value}", f"{title}：{self.inp.title}", department, role,
                     clock="interpretation")]

    def legacy_task_key(self, work: Work, since: int) -> str:
        return f"{self.case_id}/stage:{self.state.stage.value}/{self.version}"

    # -- the run -----------------------------------------------------------------------------------------
    async def open_case(self) -> None:
        inp = self.inp
        await self.project(inp.created_by, "policy_opened", f"立项起草：{inp.title}（{rules.ISSUANCE[inp.issuance]}）",
                           first=True)

    async def follow(self) -> None:
        follow_up = timedelta(days=self.inp.follow_up_days or rules.DEFAULT_FOLLOW_UP_DAYS)
        while self.state.stage is not Stage.CLOSED:
            if self.state.stage is Stage.IN_FORCE:
                try:  # while in force, remind the drafter to keep interpreting (分段、多次、持续)
                    await workflow.wait_condition(lambda: self.state.stage is Stage.CLOSED, timeout=follow_up)
                except TimeoutError:
                    await self.project("system", "follow_up_reminder", "提醒：政策实施中，请持续开展解读并跟踪舆情")
            else:
                await workflow.wait_condition(lambda: self.state.stage in {Stage.IN_FORCE, Stage.CLOSED})

    # -- drafting and the gate ------------------------------------------------------------------------
    @action
    async def update_draft(self, actor: Actor, draft: Draft) -> PolicyView:
        s = self.state
        if patched(VERSION_AT_SUBMIT):
            s.draft = draft
            return await self.project(actor.username, "draft_updated", "保存工作稿")
        if _files(draft) != _files(s.draft) or s.document_version == 0:
            s.document_version += 1
        s.draft = draft
        return await self.project(actor.username, "draft_updated", f"更新文件及解读（第{s.document_version}版）")

    @action
    async def submit(self, actor: Actor) -> PolicyView:
        d = self.state.draft
        if patched(VERSION_AT_SUBMIT):
            s = self.state
            if _fingerprint(d) != s.submitted_files or s.document_version == 0:
                s.document_version += 1
            s.submitted_files = _fingerprint(d)
        if not rules.is_fully_public(d.disclosure_mode, d.disclosure_scope):
            self.state.stage = Stage.ATTRIBUTE_REVIEW
            return await self.project(actor.username, "submitted",
                                      "报送审签；拟不予公开或删减公开，先送公开办审查公开属性")
        self.state.stage = Stage.SIGN_OFF
        return await self.project(actor.username, "submitted", f"报送审签（第{self.state.document_version}版）")

    @action
    async def review_attribute(self, actor: Actor, approve: bool, comment: str) -> PolicyView:
        self.state.comment = comment.strip()
        self.state.stage = Stage.SIGN_OFF if approve else Stage.DRAFTING
        verdict = "公开属性审查通过" if approve else "公开属性审查退回"
        return await self.project(actor.username, "attribute_reviewed",
                                  verdict + (f"：{comment.strip()}" if comment.strip() else ""),
                                  detail={"opinion": comment.strip()},
                                  notices=[] if approve else self._returned("公开办审查公开属性后退回", comment))

    def _returned(self, who: str, comment: str) -> list[NoticeSpec]:
        """The drafter is told the document came back to drafting, and why."""
        why = f"，意见：{comment.strip()}" if comment.strip() else ""
        return self.tell_officer("returned", "【文件退回】", f"{who}{why}。文件已退回起草，请修改后重新报送审签。",
                                 username=self.inp.created_by)

    # -- signing ----------------------------------------------------------------------------------------
    def _sign(self, actor: Actor, what: str) -> None:
        self.state.signatures.append(Signature(actor.role.value, actor.username, workflow.now(),
                                               self.state.document_version, what))

    def _after_sign_off(self) -> Stage:
        """A draft in the government's name goes to the government office's review, unless the office
        drafted it itself: nobody reviews their own draft, and its head's signature is the office's,
        so it goes to the leader (cases that reached this before keep their recorded path)."""
        if self.inp.issuance != "government":
            return Stage.SECRECY_REVIEW
        if self.inp.department_id == self.inp.reviewing_office and patched(OWN_DRAFT):
            return Stage.LEADER_SIGN_OFF
        return Stage.OFFICE_REVIEW

    @action
    async def sign(self, actor: Actor, version: int, approve: bool, comment: str) -> PolicyView:
        self.state.comment = comment.strip()
        if not approve:
            self.state.stage = Stage.DRAFTING
            return await self.project(actor.username, "sign_off_returned", f"部门负责人退回：{comment.strip()}",
                                      detail={"opinion": comment.strip()},
                                      notices=self._returned("部门负责人审签退回", comment))
        self._sign(actor, "document+interpretation")
        self.state.stage = self._after_sign_off()
        return await self.project(actor.username, "signed_off",
                                  f"部门负责人审签文件及解读（第{self.state.document_version}版，同步审签）",
                                  detail={"opinion": comment.strip()})

    @action
    async def office_review(self, actor: Actor, approve: bool, reasons: str) -> PolicyView:
        if approve:
            self.state.stage = Stage.LEADER_SIGN_OFF
            return await self.project(actor.username, "office_reviewed", "政府办审核通过，报领导审签",
                                      detail={"opinion": reasons.strip()})
        self.state.returns_reasons.append(reasons.strip())
        self.state.stage = Stage.DRAFTING
        self.state.comment = reasons.strip()
        return await self.project(actor.username, "returned_for_completion", f"退文：{reasons.strip()}",
                                  detail={"opinion": reasons.strip()},
                                  notices=self._returned("政府办审核退文", reasons))

    @action
    async def leader_sign(self, actor: Actor, version: int, approve: bool, comment: str) -> PolicyView:
        self.state.comment = comment.strip()
        if not approve:
            self.state.stage = Stage.DRAFTING
            return await self.project(actor.username, "leader_returned", f"领导退回：{comment.strip()}",
                                      detail={"opinion": comment.strip()},
                                      notices=self._returned("领导审签退回", comment))
        self._sign(actor, "government")
        self.state.stage = Stage.SECRECY_REVIEW
        return await self.project(actor.username, "leader_signed", f"领导审签（第{self.state.document_version}版）",
                                  detail={"opinion": comment.strip()})

    @action
    async def secrecy_review(self, actor: Actor, passed: bool, note: str) -> PolicyView:
        self.state.stage = Stage.READY if passed else Stage.DRAFTING
        return await self.project(actor.username, "secrecy_reviewed", ("保密审查通过" if passed else "保密审查未通过")
                                  + (f"：{note.strip()}" if note.strip() else ""),
                                  notices=[] if passed else self._returned("保密审查未通过", note))

    # -- publication and interpretation ----------------------------------------------------------------
    @action
    async def publish(self, actor: Actor, day: str, url: str) -> PolicyView:
        self.state.published.on, self.state.published.url = day, url.strip()
        # "文件公开后3个工作日内": the clocks count from the publication date entered, not the day it is
        # recorded (a case started before the kit keeps the clock it had).
        start = start_of_day(date.fromisoformat(day)) if self.on_kit else workflow.now()
        self.start_deadline("interpretation", "interpretation", start)
        opened = ""
        if self.inp.normative and patched(PUBLICATION_ITEMS):
            opened = await self._open_items(actor, url.strip(), start)
        elif self.inp.normative:
            self.start_deadline("website", "normative_publication", start)
        self.state.stage = Stage.PUBLISHED
        return await self.project(actor.username, "published",
                                  f"文件已发布（{day}）：{url.strip()}；解读期限开始计算{opened}")

    async def _open_items(self, actor: Actor, url: str, start: datetime) -> str:
        """A normative document's publication on the government website and in the gazette are
        publication items of their own, each on its clock, tracked like any other; they outlive the
        case (it may close first). Their confidentiality review was the document's."""
        kinds = list(publication.NORMATIVE_ITEMS)
        got = await call(PolicyActivities.publication_items,
                         ItemsWanted(self.case_id, kinds, self.book.profile, self.book.version))
        for kind, item_id in zip(kinds, got.ids, strict=True):
            await workflow.start_child_workflow(
                PUBLICATION_WORKFLOW, PublicationInput(
                    item_id, f"{self.inp.title}（{publication.KINDS[kind][0]}）", kind, self.inp.department_id,
                    start, list(publication.KINDS[kind][2]), secrecy_review=False,
                    content=f"文件发布地址：{url}", created_by=actor.username, source="policy",
                    external_key=self.case_id, rules=got.rules),
                id=item_id, parent_close_policy=ParentClosePolicy.ABANDON)
            self.state.items.append(item_id)
        return "；已生成公开事项 " + "、".join(got.ids)

    @action
    async def publish_interpretation(self, actor: Actor, day: str, url: str) -> PolicyView:
        self.state.published.interpretation_on, self.state.published.interpretation_url = day, url.strip()
        # Judged by the day it was published: recorded late, it may still have been on time.
        at = end_of_day(date.fromisoformat(day)) if self.on_kit else workflow.now()
        outcome = self.finish_at("interpretation", at, actor.username)
        self.state.stage = Stage.IN_FORCE
        return await self.project(actor.username, "interpretation_published", f"解读材料已发布（{day}）"
                                  + ("，超过时限" if outcome == "late" else ""))

    @action
    async def record_website(self, actor: Actor, url: str, at: str = "") -> PolicyView:
        """The normative document is on the government website (`at`: when, ISO with its offset; the
        clock is judged by that instant. Sent without it, as before, it is judged by now)."""
        self.state.published.website = url.strip()
        when = website_instant(at)
        if when is None:
            self.finish("website", None, actor.username)
            return await self.project(actor.username, "website_published", "规范性文件已在政府网站发布")
        self.state.published.website_at = when.isoformat()
        outcome = self.finish_at("website", when, actor.username)
        return await self.project(actor.username, "website_published",
                                  f"规范性文件已在政府网站发布（{due_text(when)}）：{url.strip()}"
                                  + ("，超过时限" if outcome == "late" else ""))

    @action
    async def add_note(self, actor: Actor, text: str) -> PolicyView:
        self.state.notes.append(text.strip())
        return await self.project(actor.username, "opinion_note", f"舆情记录：{text.strip()}")

    @action
    async def close(self, actor: Actor) -> PolicyView:
        self.state.stage = Stage.CLOSED
        return await self.project(actor.username, "closed", "办结")
