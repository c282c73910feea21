"""The disclosure request (依申请公开): one workflow per request, from intake to archive.

It decides what happens next; gongkai.disclosure decides what is allowed; the durable deadlines
keep the reply (20 WD), correction-notice (7 WD), correction-period and consultation (15 WD)
clocks; activities write the SQL projection. Every human action is an update whose validator
rejects what is not allowed (nothing is written) and whose handler returns once SQL shows it."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import date, datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.deadline import DeadlineRef
    from activities.disclosure import (
        CreateInput,
        DisclosureInput,
        LetterSpec,
        Projection,
        ReviewInput,
        SuperviseInput,
        TaskSpec,
    )
    from gongkai import disclosure as rules
    from gongkai.clock import CST, ClockKind, ClockSpec
    from gongkai.disclosure import Actor, Stage
    from gongkai.errors import ActionNotAllowed, InvalidInput
    from gongkai.rules import get_rule
    from workflows.case import ProjectedCase
    from workflows.deadline import DurableDeadline, run_activity
    from workflows.disclosure_types import DisclosureView, ReviewRecord
    from workflows.errors import rejecting

REVIEW_WINDOW = timedelta(days=400)  # after archiving, reconsideration/litigation can still be recorded


def _day_start(day: date) -> datetime:
    """A receipt date as the clock's start: only the date counts (day 0), so its first instant."""
    return datetime.combine(day, time(0), CST)


@workflow.defn
class DisclosureWorkflow(ProjectedCase):
    PROCESS = "disclosure"

    @workflow.init
    def __init__(self, inp: DisclosureInput) -> None:
        # The input is read here, not in run(): an update delivered with the start is validated first.
        self.inp: DisclosureInput | None = inp
        self.stage = Stage.REVIEW if inp.received_date is not None else Stage.AWAITING_CONFIRMATION
        self.version = 0
        self.stage_since = 0
        self.department_id = inp.department_id
        self.assignee_id: int | None = None
        self.received_date: date | None = None
        self.corrected = False
        self.correction_items = ""
        self.correction_due: date | None = None
        self.consultations = 0
        self.consultation_party = ""
        self.extension = {"status": "none", "days": 0, "reason": "", "comment": ""}
        self.draft = {"disposition": "", "reason": "", "text": "", "comment": ""}
        self.reply = {"date": "", "channel": ""}
        self.outcome = ""
        self.deadlines: dict[str, DurableDeadline] = {}
        self._tasks: list[asyncio.Task] = []
        self._projecting = asyncio.Lock()
        self._projected_tasks: list[str] = []  # the open stage tasks of the last projection

    # -- deadlines --------------------------------------------------------------------------------
    @property
    def case_id(self) -> str:
        return self.inp.request_id if self.inp else ""

    def open_deadlines(self) -> list[DurableDeadline]:
        return [d for d in self.deadlines.values() if d.is_open]

    def _start_deadline(self, name: str, rule: str, start: datetime, amount: int | None = None,
                        key: str | None = None) -> DurableDeadline:
        assert self.inp
        r = get_rule(rule)
        ref = DeadlineRef(
            deadline_id=f"{self.inp.request_id}/{key or name}", case_id=self.inp.request_id,
            workflow_id=workflow.info().workflow_id, process="disclosure", rule=rule,
            title=f"依申请公开 {self.inp.request_id}", department_id=self.department_id,
            assignee_id=self.assignee_id,
        )
        deadline = DurableDeadline(ref, ClockSpec(kind=ClockKind(r.kind), amount=amount or r.amount, start=start,
                                                  rule=rule, label=r.label, source=r.source))
        self.deadlines[name] = deadline
        self._tasks.append(asyncio.create_task(deadline.run()))
        return deadline

    def _deadline(self, name: str) -> DurableDeadline | None:
        d = self.deadlines.get(name)
        return d if d and d.is_open else None

    def _finish(self, name: str, outcome: str | None = None, actor: str = "system") -> None:
        d = self._deadline(name)
        if d:
            d.finish(outcome, actor)

    async def _settle(self) -> None:
        for d in list(self.deadlines.values()):
            await d.settled()

    def _reassign_deadlines(self) -> None:
        for d in self.open_deadlines():
            d.ref.assignee_id, d.ref.department_id = self.assignee_id, self.department_id

    # -- projection --------------------------------------------------------------------------------
    def view(self) -> DisclosureView:
        reply = self.deadlines.get("reply")
        return DisclosureView(
            request_id=self.inp.request_id if self.inp else "", stage=self.stage.value, version=self.version,
            department_id=self.department_id, assignee_id=self.assignee_id,
            received_date=self.received_date.isoformat() if self.received_date else None,
            reply_due_at=reply.due_at if reply else None, reply_paused=bool(reply and reply.spec.is_paused),
            corrected=self.corrected, correction_items=self.correction_items,
            correction_due=self.correction_due.isoformat() if self.correction_due else None,
            consultation_party=self.consultation_party, extension=dict(self.extension), draft=dict(self.draft),
            reply=dict(self.reply), outcome=self.outcome,
        )

    def _tasks_wanted(self) -> list[TaskSpec]:
        assert self.inp
        rid, since = self.inp.request_id, self.stage_since
        reply = self._deadline("reply")
        reply_id = f"{rid}/reply" if reply else None
        due = reply.due_at if reply else None

        def mine(kind: str, title: str, deadline_id=reply_id, due_at=due) -> TaskSpec:
            return TaskSpec(f"{rid}/stage:{kind}/{since}", f"stage:{kind}", title, self.department_id, None,
                            self.assignee_id, deadline_id, due_at)

        def office_head(kind: str, title: str) -> TaskSpec:
            return TaskSpec(f"{rid}/stage:{kind}/{since}", f"stage:{kind}", title, None, "office_head", None,
                            reply_id, due)

        s = self.stage
        tasks: list[TaskSpec] = []
        if s is Stage.AWAITING_CONFIRMATION:
            tasks.append(mine("confirm", f"确认收到申请 {rid}", None, None))
        elif s is Stage.REVIEW:
            tasks.append(mine("review", f"审核申请 {rid}"))
        elif s is Stage.CONSULTATION:
            c = self._deadline("consultation")
            tasks.append(mine("consultation", f"等待征求意见答复 {rid}", c.ref.deadline_id if c else None,
                              c.due_at if c else None))
        elif s is Stage.HANDLING:
            tasks.append(mine("handle", f"办理并起草答复 {rid}"))
        elif s is Stage.SIGN_OFF:
            tasks.append(office_head("sign_off", f"审签答复 {rid}"))
        elif s is Stage.SIGNED:
            tasks.append(mine("send", f"送达答复 {rid}"))
        elif s is Stage.REPLIED:
            tasks.append(mine("archive", f"归档 {rid}", None, None))
        if self.extension["status"] == "requested" and s in rules.BEFORE_REPLY:
            tasks.append(TaskSpec(f"{rid}/stage:extension/{self.version}", "stage:extension", f"审批延期 {rid}",
                                  None, "office_head", None, reply_id, due))
        return tasks

    async def _project(self, actor: str, action: str, summary: str, letters: list[LetterSpec] | None = None,
                       **detail) -> DisclosureView:
        """Record the new state: deadlines first (so tasks carry their due), then SQL."""
        assert self.inp
        if action != "registered" and self.version == 0:  # an update arrived before registration
            await workflow.wait_condition(lambda: self.version > 0)
        async with self._projecting:  # one projection at a time, in version order
            await self._settle()
            self.version += 1
            view = self.view()
            fields = {
                "stage": view.stage, "department_id": self.department_id, "assignee_id": self.assignee_id,
                "received_date": view.received_date, "correction_items": self.correction_items,
                "correction_due": view.correction_due, "extension_days": self.extension["days"]
                if self.extension["status"] == "approved" else 0,
                "public_note": self._public_note(), "state": asdict(view),
            }
            if self.draft["disposition"] and self.stage in {Stage.REPLIED, Stage.ARCHIVED, Stage.WITHDRAWN,
                                                              Stage.ABANDONED}:
                fields.update(disposition=self.draft["disposition"], reason=self.draft["reason"],
                              reply_text=self.draft["text"])
            if self.reply["date"]:
                fields.update(replied_at=_day_start(date.fromisoformat(self.reply["date"])).isoformat(),
                              reply_channel=self.reply["channel"])
            if self.stage not in rules.OPEN_STAGES:
                fields["closed_at"] = workflow.now().isoformat()
            tasks = self._tasks_wanted()
            await run_activity(
                "disclosure.project",
                Projection(self.inp.request_id, workflow.info().workflow_id, self.version, fields, actor, action,
                           summary, {k: str(v) for k, v in detail.items()}, tasks, letters or [],
                           workflow.now())
            )
            self._projected_tasks = [t.key for t in tasks]
        return view

    def _public_note(self) -> str:
        """What the applicant's status page says is expected of them; never internal notes."""
        if self.stage is Stage.CORRECTION and self.correction_due:
            return f"请于 {self.correction_due.isoformat()} 前补正申请：{self.correction_items}"
        if self.stage is Stage.AWAITING_CONFIRMATION:
            return "申请已提交，工作人员将与您确认收到申请的日期，答复期限自确认之日起计算。"
        return ""

    def _enter(self, stage: Stage) -> None:
        self.stage, self.stage_since = stage, self.version + 1

    # -- the run -----------------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: DisclosureInput) -> str:
        self.inp = inp
        self.department_id = inp.department_id
        confirmed = inp.received_date is not None
        self.stage = Stage.REVIEW if confirmed else Stage.AWAITING_CONFIRMATION
        await run_activity(
            "disclosure.create", CreateInput(inp, workflow.info().workflow_id, self.stage.value,
                                             inp.submitted_at.astimezone(CST).year)
        )
        if confirmed:
            self._receive(date.fromisoformat(inp.received_date))
        channel = rules.INTAKE_CHANNELS[inp.intake_channel]
        await self._project(inp.registered_by, "registered", f"收到申请（{channel}）"
                            + ("" if confirmed else "，待确认收到日期"), channel=inp.intake_channel)
        while self.stage in rules.OPEN_STAGES:
            await workflow.wait_condition(lambda: self._abandon_due() or self.stage not in rules.OPEN_STAGES
                                          or self.stage is Stage.ARCHIVED)
            if self._abandon_due():
                await self._abandon()
            if self.stage is Stage.ARCHIVED:
                break
        if self.stage is Stage.ARCHIVED:
            # Reconsideration or litigation may still be recorded against the reply.
            try:
                await workflow.wait_condition(lambda: False, timeout=REVIEW_WINDOW)
            except TimeoutError:
                pass
        for d in self.open_deadlines():
            d.finish("cancelled")
        await self._settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.stage.value

    def _receive(self, day: date) -> None:
        self.received_date = day
        self._start_deadline("reply", "reply", _day_start(day))
        self._start_deadline("correction_notice", "correction", _day_start(day))

    def _abandon_due(self) -> bool:
        period = self._deadline("correction_period")
        return self.stage is Stage.CORRECTION and period is not None and period.expired

    async def _abandon(self) -> None:
        self._finish("correction_period", "met")
        self._finish("reply", "cancelled")
        self.draft.update(disposition="OTHER", reason="correction_overdue", text="申请人逾期未补正，视为放弃申请。")
        self.outcome = "abandoned"
        self._enter(Stage.ABANDONED)
        await self._project("system", "deemed_abandoned", "申请人逾期未补正，视为放弃申请（其他处理：逾期不补正）",
                            letters=[self._letter("abandoned", "视为放弃申请告知书")])

    def _letter(self, kind: str, title: str) -> LetterSpec:
        assert self.inp
        return LetterSpec(f"{self.inp.request_id}/letter:{kind}/{self.version + 1}", kind, title,
                          body="", public=True)

    # -- updates -------------------------------------------------------------------------------------
    def _handler(self, actor: Actor) -> None:
        rules.require_handler(actor, self.department_id, self.assignee_id)

    @workflow.update
    async def confirm_receipt(self, actor: Actor, day: str) -> DisclosureView:
        self._receive(date.fromisoformat(day))
        self._enter(Stage.REVIEW)
        return await self._project(actor.username, "receipt_confirmed", f"确认收到申请，收到日期 {day}")

    @confirm_receipt.validator
    @rejecting
    def _v_confirm(self, actor: Actor, day: str) -> None:
        rules.require_stage(self.stage, {Stage.AWAITING_CONFIRMATION}, "确认收到")
        self._handler(actor)
        try:
            received = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("收到日期格式应为 YYYY-MM-DD") from None
        if received > workflow.now().astimezone(CST).date():
            raise InvalidInput("收到日期不能晚于今天")
        if self.inp and received < self.inp.submitted_at.astimezone(CST).date():
            raise InvalidInput("收到日期不能早于提交日期")

    @workflow.update
    async def claim(self, actor: Actor) -> DisclosureView:
        self.assignee_id = actor.user_id
        self._reassign_deadlines()
        return await self._project(actor.username, "claimed", f"{actor.username} 认领")

    @claim.validator
    @rejecting
    def _v_claim(self, actor: Actor) -> None:
        rules.require_stage(self.stage, rules.OPEN_STAGES, "认领")
        if actor.role != "officer" or actor.department_id != self.department_id:
            raise rules.PermissionDenied("只有本部门经办人可以认领")
        if self.assignee_id is not None:
            raise ActionNotAllowed("该申请已被认领")

    @workflow.update
    async def release(self, actor: Actor) -> DisclosureView:
        self.assignee_id = None
        self._reassign_deadlines()
        return await self._project(actor.username, "released", f"{actor.username} 退回待认领")

    @release.validator
    @rejecting
    def _v_release(self, actor: Actor) -> None:
        rules.require_stage(self.stage, rules.OPEN_STAGES, "退回")
        if self.assignee_id is None:
            raise ActionNotAllowed("该申请尚未被认领")
        self._handler(actor)

    @workflow.update
    async def assign(self, actor: Actor, officer_id: int, department_id: int) -> DisclosureView:
        moved = department_id != self.department_id
        self.department_id, self.assignee_id = department_id, officer_id or None
        self._reassign_deadlines()
        return await self._project(actor.username, "transferred" if moved else "assigned",
                                   "转交其他部门办理" if moved else "指定经办人",
                                   department_id=department_id, officer_id=officer_id)

    @assign.validator
    @rejecting
    def _v_assign(self, actor: Actor, officer_id: int, department_id: int) -> None:
        rules.require_stage(self.stage, rules.OPEN_STAGES, "分办")
        if actor.role not in rules.HEAD_ROLES:
            raise rules.PermissionDenied("只有负责人可以分办或转办")
        if actor.role == "dept_head" and actor.department_id != self.department_id:
            raise rules.PermissionDenied("只能分办本部门的申请")

    @workflow.update
    async def request_correction(self, actor: Actor, items: str, period_wd: int) -> DisclosureView:
        now = workflow.now()
        self._finish("correction_notice", None, actor.username)
        reply = self._deadline("reply")
        if reply:
            reply.pause("等待申请人补正", actor.username)
        period = self._start_deadline("correction_period", "correction_period", now, amount=period_wd)
        await period.settled()
        self.correction_items = items.strip()
        last = period.schedule.last_day if period.schedule else None
        self.correction_due = date.fromisoformat(last) if last else None
        self._enter(Stage.CORRECTION)
        return await self._project(actor.username, "correction_requested",
                                   f"发出补正告知，补正期限 {period_wd} 个工作日", [self._letter(
                                       "correction", "补正申请告知书")], items=items)

    @request_correction.validator
    @rejecting
    def _v_correction(self, actor: Actor, items: str, period_wd: int) -> None:
        rules.require_stage(self.stage, {Stage.REVIEW}, "发出补正告知")
        self._handler(actor)
        if self.corrected:
            raise ActionNotAllowed("补正告知应一次性发出（条例第三十条），已补正过的申请不能再次要求补正")
        if not items.strip():
            raise InvalidInput("请列明需要补正的事项")
        if not 1 <= period_wd <= 30:
            raise InvalidInput("补正期限应为 1 至 30 个工作日")

    @workflow.update
    async def receive_correction(self, actor: Actor) -> DisclosureView:
        self._finish("correction_period", "met", actor.username)
        reply = self._deadline("reply")
        if reply:  # Art. 30: the reply period counts from the corrected application
            reply.restart("收到补正后的申请，答复期限重新起算", actor.username)
        self.corrected = True
        self._enter(Stage.REVIEW)
        return await self._project(actor.username, "correction_received", "收到补正后的申请，答复期限重新起算")

    @receive_correction.validator
    @rejecting
    def _v_receive_correction(self, actor: Actor) -> None:
        rules.require_stage(self.stage, {Stage.CORRECTION}, "登记补正")
        self._handler(actor)

    @workflow.update
    async def accept(self, actor: Actor) -> DisclosureView:
        self._finish("correction_notice", "cancelled", actor.username)
        self._enter(Stage.HANDLING)
        return await self._project(actor.username, "accepted", "审核通过，进入办理")

    @accept.validator
    @rejecting
    def _v_accept(self, actor: Actor) -> None:
        rules.require_stage(self.stage, {Stage.REVIEW}, "审核通过")
        self._handler(actor)

    @workflow.update
    async def start_consultation(self, actor: Actor, party: str, kind: str) -> DisclosureView:
        reply = self._deadline("reply")
        if reply:  # Art. 33 ¶3: consultation time is not counted
            reply.pause("征求第三方或其他机关意见", actor.username)
        self.consultations += 1
        self.consultation_party = party.strip()
        self._start_deadline("consultation", "consultation", workflow.now(), key=f"consultation/{self.consultations}")
        self._enter(Stage.CONSULTATION)
        label = "第三方" if kind == "third_party" else "其他机关"
        return await self._project(actor.username, "consultation_started", f"征求{label}意见：{self.consultation_party}"
                                   "，答复期限暂停计算", [self._letter("consultation", "征求意见函")], kind=kind)

    @start_consultation.validator
    @rejecting
    def _v_consult(self, actor: Actor, party: str, kind: str) -> None:
        rules.require_stage(self.stage, {Stage.REVIEW, Stage.HANDLING}, "征求意见")
        self._handler(actor)
        if kind not in {"third_party", "agency"}:
            raise InvalidInput("请选择征求对象类型")
        if not party.strip():
            raise InvalidInput("请填写征求意见的对象")

    @workflow.update
    async def end_consultation(self, actor: Actor, summary: str) -> DisclosureView:
        self._finish("consultation", None, actor.username)
        reply = self._deadline("reply")
        if reply and reply.spec.is_paused:
            reply.resume(actor.username)
        self._enter(Stage.HANDLING)
        return await self._project(actor.username, "consultation_ended", f"征求意见结束：{summary.strip()}"
                                   "，答复期限恢复计算")

    @end_consultation.validator
    @rejecting
    def _v_end_consult(self, actor: Actor, summary: str) -> None:
        rules.require_stage(self.stage, {Stage.CONSULTATION}, "结束征求意见")
        self._handler(actor)
        if not summary.strip():
            raise InvalidInput("请简述征求意见的结果（第三方逾期未答复的，请注明）")

    @workflow.update
    async def request_extension(self, actor: Actor, days: int, reason: str) -> DisclosureView:
        self.extension = {"status": "requested", "days": days, "reason": reason.strip(), "comment": ""}
        return await self._project(actor.username, "extension_requested", f"申请延期 {days} 个工作日：{reason}")

    @request_extension.validator
    @rejecting
    def _v_request_ext(self, actor: Actor, days: int, reason: str) -> None:
        rules.require_stage(self.stage, {Stage.REVIEW, Stage.HANDLING, Stage.CONSULTATION, Stage.SIGN_OFF,
                                         Stage.SIGNED}, "申请延期")
        self._handler(actor)
        if self.extension["status"] in {"requested", "approved"}:
            raise ActionNotAllowed("已申请过延期")
        if not 1 <= days <= rules.MAX_EXTENSION_WD:
            raise InvalidInput("延长期限最长不超过20个工作日（条例第三十三条）")
        if not reason.strip():
            raise InvalidInput("请说明延期理由")
        self._require_before_due("申请延期")

    def _require_before_due(self, action: str) -> None:
        reply = self._deadline("reply")
        if reply and reply.due_at is not None and workflow.now() >= reply.due_at:
            raise ActionNotAllowed(f"答复期限已届满，不能再{action}")

    @workflow.update
    async def decide_extension(self, actor: Actor, approve: bool, comment: str) -> DisclosureView:
        letters = []
        if approve:
            reply = self._deadline("reply")
            if reply:
                reply.extend(self.extension["days"], self.extension["reason"], actor.username)
            self.extension.update(status="approved", comment=comment.strip())
            letters.append(self._letter("extension", "延期答复告知书"))
        else:
            self.extension.update(status="refused", comment=comment.strip())
        verdict = "同意" if approve else "不同意"
        return await self._project(actor.username, "extension_approved" if approve else "extension_refused",
                                   f"公开办负责人{verdict}延期 {self.extension['days']} 个工作日" +
                                   (f"：{comment}" if comment.strip() else ""), letters)

    @decide_extension.validator
    @rejecting
    def _v_decide_ext(self, actor: Actor, approve: bool, comment: str) -> None:
        rules.require_office_head(actor, "审批延期")
        if self.extension["status"] != "requested":
            raise ActionNotAllowed("没有待审批的延期申请")
        self._require_before_due("审批延期")

    @workflow.update
    async def draft_reply(self, actor: Actor, disposition: str, reason: str, text: str) -> DisclosureView:
        self.draft = {"disposition": disposition, "reason": reason, "text": text.strip(), "comment": ""}
        self._enter(Stage.SIGN_OFF)
        return await self._project(actor.username, "reply_drafted",
                                   f"起草答复：{rules.DISPOSITIONS[disposition][0]}（{rules.REASON_LABEL[reason]}）")

    @draft_reply.validator
    @rejecting
    def _v_draft(self, actor: Actor, disposition: str, reason: str, text: str) -> None:
        rules.require_stage(self.stage, {Stage.HANDLING}, "起草答复")
        self._handler(actor)
        rules.check_disposition(disposition, reason)
        if not text.strip():
            raise InvalidInput("请填写答复内容")

    @workflow.update
    async def sign_off(self, actor: Actor, approve: bool, comment: str) -> DisclosureView:
        if approve:
            self._enter(Stage.SIGNED)
            return await self._project(actor.username, "reply_signed_off", "公开办负责人审签同意")
        self.draft["comment"] = comment.strip()
        self._enter(Stage.HANDLING)
        return await self._project(actor.username, "reply_returned", f"审签退回：{comment.strip()}")

    @sign_off.validator
    @rejecting
    def _v_sign(self, actor: Actor, approve: bool, comment: str) -> None:
        rules.require_stage(self.stage, {Stage.SIGN_OFF}, "审签")
        rules.require_office_head(actor, "审签答复")
        if not approve and not comment.strip():
            raise InvalidInput("退回时请填写修改意见")

    @workflow.update
    async def send_reply(self, actor: Actor, day: str, channel: str) -> DisclosureView:
        self.reply = {"date": day, "channel": channel}
        self._finish("reply", None, actor.username)
        self.outcome = "replied"
        self._enter(Stage.REPLIED)
        d = self.draft["disposition"]
        letter = self._letter(f"reply_{d}", f"政府信息公开申请答复书（{rules.DISPOSITIONS[d][0]}）")
        return await self._project(actor.username, "reply_sent",
                                   f"答复已送达（{rules.REPLY_CHANNELS[channel]}，{day}）", [letter])

    @send_reply.validator
    @rejecting
    def _v_send(self, actor: Actor, day: str, channel: str) -> None:
        rules.require_stage(self.stage, {Stage.SIGNED}, "送达答复")
        self._handler(actor)
        if channel not in rules.REPLY_CHANNELS:
            raise InvalidInput("请选择送达方式")
        try:
            sent = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("送达日期格式应为 YYYY-MM-DD") from None
        if sent > workflow.now().astimezone(CST).date():
            raise InvalidInput("送达日期不能晚于今天")
        if self.received_date and sent < self.received_date:
            raise InvalidInput("送达日期不能早于收到申请的日期")

    @workflow.update
    async def archive(self, actor: Actor) -> DisclosureView:
        self._enter(Stage.ARCHIVED)
        return await self._project(actor.username, "archived", "归档")

    @archive.validator
    @rejecting
    def _v_archive(self, actor: Actor) -> None:
        rules.require_stage(self.stage, {Stage.REPLIED}, "归档")
        self._handler(actor)

    @workflow.update
    async def withdraw(self, actor: Actor, reason: str) -> DisclosureView:
        for d in self.open_deadlines():
            d.finish("cancelled", actor.username)
        self.draft.update(disposition="OTHER", reason="other", text=f"申请人撤回申请：{reason.strip()}")
        self.outcome = "withdrawn"
        self._enter(Stage.WITHDRAWN)
        return await self._project(actor.username, "withdrawn", f"申请人撤回申请：{reason.strip()}",
                                   [self._letter("withdrawn", "撤回申请确认书")])

    @withdraw.validator
    @rejecting
    def _v_withdraw(self, actor: Actor, reason: str) -> None:
        rules.require_stage(self.stage, rules.BEFORE_REPLY, "撤回")
        if actor.role != "applicant":
            self._handler(actor)
        if not reason.strip():
            raise InvalidInput("请填写撤回理由")

    @workflow.update
    async def record_review(self, actor: Actor, review: ReviewRecord) -> DisclosureView:
        assert self.inp
        await run_activity(
            "disclosure.record_review",
            ReviewInput(self.inp.request_id, f"{self.inp.request_id}/review/{self.version + 1}", review.kind,
                        review.outcome, review.note, actor.username, workflow.now().astimezone(CST).year)
        )
        kinds = {"reconsideration": "行政复议", "litigation_direct": "行政诉讼（未经复议）",
                 "litigation_after_review": "行政诉讼（复议后）"}
        outcomes = {"upheld": "维持", "corrected": "纠正", "other_outcome": "其他结果", "pending": "尚未审结"}
        return await self._project(actor.username, "review_recorded",
                                   f"登记{kinds[review.kind]}：{outcomes[review.outcome]}")

    @record_review.validator
    @rejecting
    def _v_review(self, actor: Actor, review: ReviewRecord) -> None:
        rules.require_stage(self.stage, {Stage.REPLIED, Stage.ARCHIVED}, "登记复议或诉讼")
        if actor.role not in rules.HEAD_ROLES | {"officer"}:
            raise rules.PermissionDenied("无权登记复议或诉讼")
        if review.kind not in {"reconsideration", "litigation_direct", "litigation_after_review"}:
            raise InvalidInput("请选择复议或诉讼类型")
        if review.outcome not in {"upheld", "corrected", "other_outcome", "pending"}:
            raise InvalidInput("请选择结果")

    @workflow.update
    async def supervise(self, actor: Actor, note: str) -> DisclosureView:
        assert self.inp
        reply = self._deadline("reply")
        await run_activity(
            "disclosure.supervise",
            SuperviseInput(self.inp.request_id, workflow.info().workflow_id,
                           f"{self.inp.request_id}/supervision/{self.version + 1}", self.department_id, note.strip(),
                           actor.username, reply.due_at if reply else None),
            result_type=int
        )
        return self.view()

    @supervise.validator
    @rejecting
    def _v_supervise(self, actor: Actor, note: str) -> None:
        rules.require_stage(self.stage, rules.BEFORE_REPLY, "督办")
        if actor.role not in {"supervisor", "leader", "office_head"}:
            raise rules.PermissionDenied("只有督办人员或领导可以督办")
        if not note.strip():
            raise InvalidInput("请填写督办意见")

    @workflow.query
    def state(self) -> DisclosureView:
        return self.view()

    # -- reconciliation ------------------------------------------------------------------------------
    async def _restore_row(self) -> None:
        assert self.inp
        await run_activity(
            "disclosure.create", CreateInput(self.inp, workflow.info().workflow_id, self.stage.value,
                                             self.inp.submitted_at.astimezone(CST).year))
