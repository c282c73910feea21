"""A policy document released with its interpretation (三同步): one workflow per document.

Drafting with the files and the disclosure attribute → completeness gate → attribute review when
not fully public (E03) → the department head signs document and interpretation in one act → for
a draft in the government's name, the government office reviews (and may return it, 退文) and the
responsible leader signs → confidentiality review → publication, which starts the interpretation
clock (and the website clock of a normative document) → interpretation published → follow-up
reminders while in force → closed."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.deadline import DeadlineRef
    from activities.disclosure import TaskSpec
    from activities.policy import PolicyInput, PolicyProjection
    from gongkai import policy as rules
    from gongkai.clock import ClockKind, ClockSpec
    from gongkai.disclosure import Actor
    from gongkai.errors import InvalidInput
    from gongkai.policy import Stage
    from gongkai.rules import get_rule
    from workflows.case import ProjectedCase
    from workflows.deadline import DurableDeadline, run_activity
    from workflows.errors import rejecting
    from workflows.policy_types import Draft, PolicyView

HEADS = {"dept_head"}


@workflow.defn
class PolicyWorkflow(ProjectedCase):
    PROCESS = "policy"

    @workflow.init
    def __init__(self, inp: PolicyInput) -> None:
        # The input is read here, not in run(): an update delivered with the start is validated first.
        self.inp: PolicyInput | None = inp
        self.stage = Stage.DRAFTING
        self.version = 0
        self.draft = Draft("", "")
        self.document_version = 0
        self.returns: list[str] = []
        self.signatures: list[dict] = []
        self.comment = ""
        self.published = {"on": "", "url": "", "interpretation_on": "", "interpretation_url": "", "website": ""}
        self.notes: list[str] = []
        self.deadlines: dict[str, DurableDeadline] = {}
        self._tasks: list[asyncio.Task] = []
        self._projecting = asyncio.Lock()
        self._projected_tasks: list[str] = []  # the open stage tasks of the last projection

    @property
    def case_id(self) -> str:
        return self.inp.case_id if self.inp else ""

    def open_deadlines(self) -> list[DurableDeadline]:
        return [d for d in self.deadlines.values() if d.is_open]

    def _missing(self) -> list[str]:
        d = self.draft
        return rules.missing_items(has_document=d.has_document, has_plan=d.has_plan, materials=d.materials,
                                   mode=d.disclosure_mode, scope=d.disclosure_scope, reasons=d.reasons)

    def view(self) -> PolicyView:
        return PolicyView(self.inp.case_id if self.inp else "", self.stage.value, self.version,
                          self.document_version, len(self.returns), list(self.signatures), self._missing(),
                          self.comment)

    def _start_deadline(self, name: str, rule: str) -> None:
        assert self.inp
        r = get_rule(rule)
        ref = DeadlineRef(f"{self.inp.case_id}/{name}", self.inp.case_id, workflow.info().workflow_id, "policy",
                          rule, f"政策文件 {self.inp.title}", department_id=self.inp.department_id)
        deadline = DurableDeadline(ref, ClockSpec(kind=ClockKind(r.kind), amount=r.amount, start=workflow.now(),
                                                  rule=rule, label=r.label, source=r.source))
        self.deadlines[name] = deadline
        self._tasks.append(asyncio.create_task(deadline.run()))

    def _tasks_wanted(self) -> list[TaskSpec]:
        assert self.inp
        cid, dept, v = self.inp.case_id, self.inp.department_id, self.version + 1
        who = {
            Stage.DRAFTING: (dept, None, "起草政策文件及解读"),
            Stage.ATTRIBUTE_REVIEW: (None, "office_head", "审查公开属性"),
            Stage.SIGN_OFF: (dept, "dept_head", "审签文件及解读"),
            Stage.OFFICE_REVIEW: (None, "dept_head", "政府办审核代拟稿"),
            Stage.LEADER_SIGN_OFF: (None, "leader", "领导审签"), Stage.SECRECY_REVIEW: (dept, "dept_head", "保密审查"),
            Stage.READY: (dept, None, "发布政策文件"), Stage.PUBLISHED: (dept, None, "发布解读材料"),
        }.get(self.stage)
        if who is None:
            return []
        department, role, title = who
        interp = self.deadlines.get("interpretation")
        due = interp.due_at if interp and interp.is_open else None
        return [TaskSpec(f"{cid}/stage:{self.stage.value}/{v}", f"stage:policy_{self.stage.value}",
                         f"{title}：{self.inp.title}"[:200], department, role, None,
                         interp.ref.deadline_id if due else None, due)]

    async def _project(self, actor: str, action: str, summary: str) -> PolicyView:
        assert self.inp
        if action != "policy_opened" and self.version == 0:  # an update arrived before the case opened
            await workflow.wait_condition(lambda: self.version > 0)
        async with self._projecting:  # one projection at a time, in version order
            for d in self.deadlines.values():
                await d.settled()
            fields = {"title": self.inp.title, "issuance": self.inp.issuance, "department_id": self.inp.department_id,
                      "co_issuers": list(self.inp.co_issuers),
                      "normative": self.inp.normative, "doc_number": self.draft.doc_number or self.inp.doc_number,
                      "disclosure_mode": self.draft.disclosure_mode, "disclosure_scope": self.draft.disclosure_scope,
                      "stage": self.stage.value, "document_version": self.document_version,
                      "returns": len(self.returns),
                      "published_on": self.published["on"] or None,
                      "interpretation_on": self.published["interpretation_on"] or None}
            tasks = self._tasks_wanted()
            self.version += 1
            view = self.view()
            fields["state"] = {**asdict(view), "draft": asdict(self.draft), "published": dict(self.published),
                               "returns_reasons": list(self.returns), "notes": list(self.notes)}
            await run_activity(
                "policy.project", PolicyProjection(self.inp.case_id, workflow.info().workflow_id, self.version, fields,
                                                   actor, action, summary, workflow.now(), tasks))
            self._projected_tasks = [t.key for t in tasks]
        return view

    @workflow.run
    async def run(self, inp: PolicyInput) -> str:
        self.inp = inp
        await self._project(inp.created_by, "policy_opened", f"立项起草：{inp.title}（{rules.ISSUANCE[inp.issuance]}）")
        follow_up = timedelta(days=inp.follow_up_days or rules.DEFAULT_FOLLOW_UP_DAYS)
        while self.stage is not Stage.CLOSED:
            if self.stage is Stage.IN_FORCE:
                try:  # while in force, remind the drafter to keep interpreting (分段、多次、持续)
                    await workflow.wait_condition(lambda: self.stage is Stage.CLOSED, timeout=follow_up)
                except TimeoutError:
                    await self._project("system", "follow_up_reminder", "提醒：政策实施中，请持续开展解读并跟踪舆情")
            else:
                await workflow.wait_condition(lambda: self.stage in {Stage.IN_FORCE, Stage.CLOSED})
        for d in self.open_deadlines():
            d.finish("cancelled")
        for d in self.deadlines.values():
            await d.settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.stage.value

    def _is_drafter(self, actor: Actor) -> None:
        assert self.inp
        if actor.department_id != self.inp.department_id or actor.role not in {"officer", "dept_head"}:
            raise rules.PermissionDenied("只有起草部门可以修改或报送")

    # -- drafting and the gate ------------------------------------------------------------------
    @workflow.update
    async def update_draft(self, actor: Actor, draft: Draft) -> PolicyView:
        def files(d: Draft) -> tuple:
            return (d.has_document, d.has_plan, sorted(d.materials), d.document_text, d.plan_text, d.materials_text)

        files_changed = files(draft) != files(self.draft)
        self.draft = draft
        if files_changed or self.document_version == 0:
            self.document_version += 1
        return await self._project(actor.username, "draft_updated", f"更新文件及解读（第{self.document_version}版）")

    @update_draft.validator
    @rejecting
    def _v_draft(self, actor: Actor, draft: Draft) -> None:
        rules.require(self.stage is Stage.DRAFTING, "只有起草阶段可以修改文件")
        self._is_drafter(actor)
        rules.check_materials(draft.materials)

    @workflow.update
    async def submit(self, actor: Actor) -> PolicyView:
        if not rules.is_fully_public(self.draft.disclosure_mode, self.draft.disclosure_scope):
            self.stage = Stage.ATTRIBUTE_REVIEW
            return await self._project(actor.username, "submitted",
                                       "报送审签；拟不予公开或删减公开，先送公开办审查公开属性")
        self.stage = Stage.SIGN_OFF
        return await self._project(actor.username, "submitted", f"报送审签（第{self.document_version}版）")

    @submit.validator
    @rejecting
    def _v_submit(self, actor: Actor) -> None:
        rules.require(self.stage is Stage.DRAFTING, "当前阶段不能报送")
        self._is_drafter(actor)
        missing = self._missing()
        if missing:
            raise InvalidInput("材料不全，不能报送审签。缺少：" + "；".join(missing), detail={"missing": missing})

    @workflow.update
    async def review_attribute(self, actor: Actor, approve: bool, comment: str) -> PolicyView:
        self.comment = comment.strip()
        self.stage = Stage.SIGN_OFF if approve else Stage.DRAFTING
        verdict = "公开属性审查通过" if approve else "公开属性审查退回"
        return await self._project(actor.username, "attribute_reviewed", verdict + (f"：{comment}" if comment else ""))

    @review_attribute.validator
    @rejecting
    def _v_attr(self, actor: Actor, approve: bool, comment: str) -> None:
        rules.require(self.stage is Stage.ATTRIBUTE_REVIEW, "当前不在公开属性审查阶段")
        rules.require_role(actor.role, {"office_head"}, "只有公开办负责人可以审查公开属性")
        if not approve and not comment.strip():
            raise InvalidInput("退回时请说明理由")

    # -- signing ----------------------------------------------------------------------------------
    def _check_signature(self, version: int, approve: bool, comment: str) -> None:
        if version != self.document_version:
            raise rules.ActionNotAllowed(f"签批的是第{version}版，当前为第{self.document_version}版，请审签最新版本")
        if not approve and not comment.strip():
            raise InvalidInput("退回时请填写意见")

    def _sign(self, actor: Actor, what: str) -> None:
        self.signatures.append({"role": actor.role, "who": actor.username, "at": workflow.now().isoformat(),
                                "version": self.document_version, "what": what})

    @workflow.update
    async def sign(self, actor: Actor, version: int, approve: bool, comment: str) -> PolicyView:
        assert self.inp
        self.comment = comment.strip()
        if not approve:
            self.stage = Stage.DRAFTING
            return await self._project(actor.username, "sign_off_returned", f"部门负责人退回：{comment}")
        self._sign(actor, "document+interpretation")
        self.stage = Stage.OFFICE_REVIEW if self.inp.issuance == "government" else Stage.SECRECY_REVIEW
        return await self._project(actor.username, "signed_off",
                                   f"部门负责人审签文件及解读（第{self.document_version}版，同步审签）")

    @sign.validator
    @rejecting
    def _v_sign(self, actor: Actor, version: int, approve: bool, comment: str) -> None:
        assert self.inp
        rules.require(self.stage is Stage.SIGN_OFF, "当前不在部门审签阶段")
        if actor.role not in HEADS or actor.department_id != self.inp.department_id:
            raise rules.PermissionDenied("只有起草部门负责人可以审签")
        self._check_signature(version, approve, comment)

    @workflow.update
    async def office_review(self, actor: Actor, approve: bool, reasons: str) -> PolicyView:
        if approve:
            self.stage = Stage.LEADER_SIGN_OFF
            return await self._project(actor.username, "office_reviewed", "政府办审核通过，报领导审签")
        self.returns.append(reasons.strip())
        self.stage = Stage.DRAFTING
        self.comment = reasons.strip()
        return await self._project(actor.username, "returned_for_completion", f"退文：{reasons.strip()}")

    @office_review.validator
    @rejecting
    def _v_office(self, actor: Actor, approve: bool, reasons: str) -> None:
        rules.require(self.stage is Stage.OFFICE_REVIEW, "当前不在政府办审核阶段")
        rules.require_role(actor.role, {"dept_head", "office_head"}, "只有政府办负责人可以审核代拟稿")
        if approve and self._missing():
            raise rules.ActionNotAllowed("材料不全，应予退文：" + "；".join(self._missing()))
        if not approve and not reasons.strip():
            raise InvalidInput("退文时请写明理由")

    @workflow.update
    async def leader_sign(self, actor: Actor, version: int, approve: bool, comment: str) -> PolicyView:
        self.comment = comment.strip()
        if not approve:
            self.stage = Stage.DRAFTING
            return await self._project(actor.username, "leader_returned", f"领导退回：{comment}")
        self._sign(actor, "government")
        self.stage = Stage.SECRECY_REVIEW
        return await self._project(actor.username, "leader_signed", f"领导审签（第{self.document_version}版）")

    @leader_sign.validator
    @rejecting
    def _v_leader(self, actor: Actor, version: int, approve: bool, comment: str) -> None:
        rules.require(self.stage is Stage.LEADER_SIGN_OFF, "当前不在领导审签阶段")
        rules.require_role(actor.role, {"leader"}, "只有领导可以审签以政府名义发布的文件")
        self._check_signature(version, approve, comment)

    @workflow.update
    async def secrecy_review(self, actor: Actor, passed: bool, note: str) -> PolicyView:
        self.stage = Stage.READY if passed else Stage.DRAFTING
        return await self._project(actor.username, "secrecy_reviewed",
                                   ("保密审查通过" if passed else "保密审查未通过") + (f"：{note}" if note else ""))

    @secrecy_review.validator
    @rejecting
    def _v_secrecy(self, actor: Actor, passed: bool, note: str) -> None:
        assert self.inp
        rules.require(self.stage is Stage.SECRECY_REVIEW, "当前不在保密审查阶段")
        if actor.role not in {"dept_head", "office_head"}:
            raise rules.PermissionDenied("只有负责人可以登记保密审查")

    # -- publication and interpretation ------------------------------------------------------------
    @workflow.update
    async def publish(self, actor: Actor, day: str, url: str) -> PolicyView:
        assert self.inp
        self.published.update(on=day, url=url.strip())
        self._start_deadline("interpretation", "interpretation")
        if self.inp.normative:
            self._start_deadline("website", "normative_publication")
        self.stage = Stage.PUBLISHED
        return await self._project(actor.username, "published", f"文件已发布（{day}）：{url.strip()}；解读期限开始计算")

    @publish.validator
    @rejecting
    def _v_publish(self, actor: Actor, day: str, url: str) -> None:
        rules.require(self.stage is Stage.READY, "保密审查通过后才能发布")
        self._is_drafter(actor)
        if not url.strip():
            raise InvalidInput("请填写发布地址")

    @workflow.update
    async def publish_interpretation(self, actor: Actor, day: str, url: str) -> PolicyView:
        self.published.update(interpretation_on=day, interpretation_url=url.strip())
        self.deadlines["interpretation"].finish(None, actor.username)
        self.stage = Stage.IN_FORCE
        return await self._project(actor.username, "interpretation_published", f"解读材料已发布（{day}）")

    @publish_interpretation.validator
    @rejecting
    def _v_interp(self, actor: Actor, day: str, url: str) -> None:
        rules.require(self.stage is Stage.PUBLISHED, "文件发布后才能登记解读发布")
        self._is_drafter(actor)
        if not url.strip():
            raise InvalidInput("请填写解读材料的发布地址")

    @workflow.update
    async def record_website(self, actor: Actor, url: str) -> PolicyView:
        self.published["website"] = url.strip()
        self.deadlines["website"].finish(None, actor.username)
        return await self._project(actor.username, "website_published", "规范性文件已在政府网站发布")

    @record_website.validator
    @rejecting
    def _v_website(self, actor: Actor, url: str) -> None:
        d = self.deadlines.get("website")
        rules.require(d is not None and d.is_open, "没有待登记的网站发布")
        self._is_drafter(actor)

    @workflow.update
    async def add_note(self, actor: Actor, text: str) -> PolicyView:
        self.notes.append(text.strip())
        return await self._project(actor.username, "opinion_note", f"舆情记录：{text.strip()}")

    @add_note.validator
    @rejecting
    def _v_note(self, actor: Actor, text: str) -> None:
        rules.require(self.stage in {Stage.PUBLISHED, Stage.IN_FORCE}, "文件发布后才能记录舆情")
        if not text.strip():
            raise InvalidInput("请填写舆情内容")

    @workflow.update
    async def close(self, actor: Actor) -> PolicyView:
        self.stage = Stage.CLOSED
        return await self._project(actor.username, "closed", "办结")

    @close.validator
    @rejecting
    def _v_close(self, actor: Actor) -> None:
        rules.require(self.stage is Stage.IN_FORCE, "解读发布后才能办结")
        self._is_drafter(actor)

    @workflow.query
    def state(self) -> PolicyView:
        return self.view()
