"""The disclosure request (依申请公开): one workflow per request, from intake to archive.

Its transitions and what each action's input must be; who may act when is the action table's
(contracts.disclosure), the clocks, projection and the rest of a case the kit's. Clocks: the
reply (20 WD), the correction notice (7 WD), the applicant's correction period, each
consultation (15 WD) and, for a request that waits for its receipt to be confirmed, the office's
own limit for confirming it (1 WD)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.disclosure import DisclosureActivities
    from contracts.disclosure import (
        ACTIONS,
        WORKFLOW,
        Attachment,
        CorrectionReceived,
        CreateInput,
        DisclosureInput,
        DisclosureState,
        DisclosureView,
        Extension,
        ReplyDraft,
        ReplySent,
        ReviewInput,
        ReviewRecord,
        SuperviseInput,
        as_attachments,
        correction_receipt,
        pending_corrections,
    )
    from gongkai import disclosure as rules
    from gongkai.clock import CST, local_date, start_of_day
    from gongkai.disclosure import BEFORE_REPLY, OPEN_STAGES, Stage
    from gongkai.instants import deadline_text
    from gongkai.roles import Actor, Role
    from workflows.calls import call, patched
    from workflows.kit import CaseWorkflow, Work, action, case

REVIEW_WINDOW = timedelta(days=400)  # after archiving, reconsideration/litigation can still be recorded
# Patch ids. A correction's receipt is dated, and the reply period restarts from the start of that
# day (before: from the moment it was recorded). A request awaiting confirmation has the office's
# own clock for confirming it (before: none).
CORRECTION_DATE = "correction-received-date"
CONFIRMATION_CLOCK = "confirmation-clock"
# Cases started before keep the letters they were issued: no receipt at
# registration; one consultation letter, to the applicant.
RECEIPT_LETTER = "receipt-letter"
CONSULTATION_LETTERS = "consultation-letters"


@case(WORKFLOW)
class DisclosureWorkflow(CaseWorkflow[DisclosureInput, DisclosureState, DisclosureView]):
    PROCESS, ACTIONS, PROJECT, STEP = "disclosure", ACTIONS, DisclosureActivities.project, DisclosureActivities.step
    DUES = {"reply_due_at": "reply"}
    TITLE = "依申请公开 {request_id}"

    # -- the case --------------------------------------------------------------------------------------
    def view(self) -> DisclosureView:
        reply = self.deadlines.get("reply")
        return DisclosureView(**self.snapshot(), request_id=self.case_id, version=self.version,
                              submitted_at=self.inp.submitted_at,
                              reply_due_at=reply.due_at if reply else None,
                              reply_paused=bool(reply and reply.spec.is_paused))

    def work(self) -> list[Work]:
        rid, s = self.case_id, self.state

        def mine(kind: str, title: str, clock: str | None = "reply") -> Work:
            return Work(f"stage:{kind}", f"{title} {rid}", s.department_id, None, s.assignee_id, clock)

        def office_head(kind: str, title: str) -> Work:
            return Work(f"stage:{kind}", f"{title} {rid}", None, Role.OFFICE_HEAD, None, "reply")

        stage_work = {
            Stage.AWAITING_CONFIRMATION: lambda: mine("confirm", "确认收到申请", "confirmation"),
            Stage.REVIEW: lambda: mine("review", "审核申请"),
            Stage.CONSULTATION: lambda: mine("consultation", "等待征求意见答复", "consultation"),
            Stage.HANDLING: lambda: mine("handle", "办理并起草答复"),
            Stage.SIGN_OFF: lambda: office_head("sign_off", "审签答复"),
            Stage.SIGNED: lambda: mine("send", "送达答复"),
            Stage.REPLIED: lambda: mine("archive", "归档", None),
        }.get(s.stage)
        wanted = [stage_work()] if stage_work else []
        if s.stage is Stage.CORRECTION and pending_corrections(s.corrections):
            wanted.append(mine("correction", "确认收到补正材料", None))
        if s.extension.status == "requested" and s.stage in BEFORE_REPLY:
            wanted.append(office_head("extension", "审批延期"))
        return wanted

    def legacy_task_key(self, work: Work, since: int) -> str:
        if work.kind == "stage:extension":
            return f"{self.case_id}/{work.kind}/{self.version}"
        return f"{self.case_id}/{work.kind}/{0 if since == 1 else since}"  # the first stage counted from 0

    def _enter(self, stage: Stage) -> None:
        self.state.stage = stage
        if stage not in OPEN_STAGES:
            self.state.closed_at = workflow.now()

    # -- the run -----------------------------------------------------------------------------------------
    def _intake(self) -> CreateInput:
        return CreateInput(self.inp, workflow.info().workflow_id, self.state.stage.value,
                           self.inp.submitted_at.astimezone(CST).year)

    async def open_case(self) -> None:
        inp = self.inp
        if not self.folds:  # else the row is created by the first step
            await call(DisclosureActivities.create, self._intake())
        if inp.received_date is not None:
            self._receive(date.fromisoformat(inp.received_date))
        elif self.state.stage is Stage.AWAITING_CONFIRMATION and patched(CONFIRMATION_CLOCK):
            self.start_deadline("confirmation", "confirmation", inp.submitted_at)
        channel = rules.INTAKE_CHANNELS[inp.intake_channel]
        # The applicant's receipt (登记回执), a numbered letter since issue 14.
        receipt = [self.letter("receipt", "政府信息公开申请登记回执")] if patched(RECEIPT_LETTER) else []
        await self.project(inp.registered_by, "registered", f"收到申请（{channel}）"
                           + ("" if inp.received_date else "，待确认收到日期"), detail={"channel": inp.intake_channel},
                           letters=receipt, first=True, opening=self._intake() if self.folds else None)

    async def follow(self) -> None:
        while self.state.stage in OPEN_STAGES:
            await workflow.wait_condition(lambda: self._abandon_due() or self.state.stage not in OPEN_STAGES)
            if self._abandon_due():
                await self._abandon()
        if self.state.stage is Stage.ARCHIVED:
            try:  # reconsideration or litigation may still be recorded against the reply
                await workflow.wait_condition(lambda: False, timeout=REVIEW_WINDOW)
            except TimeoutError:
                pass

    async def restore_row(self) -> None:
        await call(DisclosureActivities.create, self._intake())

    def _receive(self, day: date) -> None:
        self.state.received_date = day.isoformat()
        self.start_deadline("reply", "reply", start_of_day(day))
        self.start_deadline("correction_notice", "correction", start_of_day(day))

    def _abandon_due(self) -> bool:
        period = self.deadline("correction_period")
        return self.state.stage is Stage.CORRECTION and period is not None and period.expired

    async def _abandon(self) -> None:
        self.finish("correction_period", "met")
        self.finish("reply", "cancelled")
        self.state.draft = ReplyDraft("OTHER", "correction_overdue", "申请人逾期未补正，视为放弃申请。")
        self.state.outcome = "abandoned"
        self._enter(Stage.ABANDONED)
        await self.project("system", "deemed_abandoned", "申请人逾期未补正，视为放弃申请（其他处理：逾期不补正）",
                           letters=[self.letter("abandoned", "视为放弃申请告知书")])

    def _today(self) -> date:
        return local_date(workflow.now())

    # -- intake ------------------------------------------------------------------------------------------
    @action
    async def confirm_receipt(self, actor: Actor, day: str) -> DisclosureView:
        self.finish("confirmation", None, actor.username)
        self._receive(date.fromisoformat(day))
        self._enter(Stage.REVIEW)
        return await self.project(actor.username, "receipt_confirmed", f"确认收到申请，收到日期 {day}")

    @action
    async def claim(self, actor: Actor) -> DisclosureView:
        self.state.assignee_id = actor.user_id
        self.move_deadlines()
        return await self.project(actor.username, "claimed", "认领办理")

    @action
    async def release(self, actor: Actor) -> DisclosureView:
        self.state.assignee_id = None
        self.move_deadlines()
        return await self.project(actor.username, "released", "退回待认领")

    @action
    async def assign(self, actor: Actor, officer_id: int, department_id: int) -> DisclosureView:
        moved = department_id != self.state.department_id
        self.state.department_id, self.state.assignee_id = department_id, officer_id or None
        # A transfer rewrites the clocks' rows too, so the supervisors' board shows them under the new
        # department (cases started before the kit moved only their reminders, as recorded).
        self.move_deadlines(recalculate="转交其他部门办理" if moved and self.on_kit else None)
        return await self.project(actor.username, "transferred" if moved else "assigned",
                                  "转交其他部门办理" if moved else "指定经办人",
                                  detail={"department_id": department_id, "officer_id": officer_id})

    # -- review and correction ---------------------------------------------------------------------
    @action
    async def request_correction(self, actor: Actor, items: str, period_wd: int) -> DisclosureView:
        self.finish("correction_notice", None, actor.username)
        reply = self.deadline("reply")
        if reply:
            reply.pause("等待申请人补正", actor.username)
        period = self.start_deadline("correction_period", "correction_period", workflow.now(), amount=period_wd)
        await period.settled()
        self.state.correction_items = items.strip()
        last = period.schedule.last_day if period.schedule else None
        self.state.correction_due = last
        self.state.correction_requested = self._today().isoformat()
        self._enter(Stage.CORRECTION)
        return await self.project(actor.username, "correction_requested",
                                  f"发出补正告知，补正期限 {period_wd} 个工作日",
                                  letters=[self.letter("correction", "补正申请告知书")], detail={"items": items})

    @action
    async def submit_correction(self, actor: Actor, text: str, files: list[Attachment]) -> DisclosureView:
        """The applicant's corrected application, sent from /track within the period: the period is
        met; the office records its receipt (receive_correction), which restarts the reply period."""
        self.finish("correction_period", "met", actor.username)
        attached = as_attachments(files)
        self.state.corrections.append(CorrectionReceived("online", workflow.now(), None, text.strip(), attached))
        return await self.project(actor.username, "correction_submitted",
                                  f"申请人在线提交补正材料（附件 {len(attached)} 个），待确认收到")

    @action
    async def receive_correction(self, actor: Actor, day: str = "", channel: str = "", text: str = "",
                                 files: list[Attachment] | None = None) -> DisclosureView:
        dated = patched(CORRECTION_DATE)
        self.finish("correction_period", "met", actor.username)
        reply = self.deadline("reply")
        if not dated:  # recorded before receipts were dated: the period restarted when it was recorded
            if reply:  # Art. 30: the reply period counts from the corrected application
                reply.restart("收到补正后的申请，答复期限重新起算", actor.username)
            self.state.corrected = True
            self._enter(Stage.REVIEW)
            return await self.project(actor.username, "correction_received", "收到补正后的申请，答复期限重新起算")
        received, channel = correction_receipt(self.state, workflow.now(), day, channel)  # checked by the validator
        self.state.corrected = True
        self._enter(Stage.REVIEW)
        for c in pending_corrections(self.state.corrections):
            c.received_date = received.isoformat()
        if channel != "online":
            self.state.corrections.append(CorrectionReceived(channel, None, received.isoformat(), text.strip(),
                                                             as_attachments(files)))
        if reply:  # Art. 30: counted from the day the corrected application was received
            reply.restart("收到补正后的申请，答复期限重新起算", actor.username, at=start_of_day(received))
        how = rules.CORRECTION_CHANNELS.get(channel, "收到方式未注明")
        return await self.project(actor.username, "correction_received",
                                  f"登记收到补正材料（{how}，{received.isoformat()}），答复期限补正后重新计算，"
                                  f"自 {received.isoformat()} 起 {rules.REPLY_WD} 个工作日",
                                  detail={"channel": channel, "day": received.isoformat()})

    @action
    async def accept(self, actor: Actor) -> DisclosureView:
        self.finish("correction_notice", "cancelled", actor.username)
        self._enter(Stage.HANDLING)
        return await self.project(actor.username, "accepted", "审核通过，进入办理")

    # -- consultation ----------------------------------------------------------------------------------
    @action
    async def start_consultation(self, actor: Actor, party: str, kind: str) -> DisclosureView:
        reply = self.deadline("reply")
        if reply:  # Art. 33 ¶3: consultation time is not counted
            reply.pause("征求第三方或其他机关意见", actor.username)
        self.state.consultations += 1
        self.state.consultation_party, self.state.consultation_kind = party.strip(), kind
        self.start_deadline("consultation", "consultation", workflow.now(),
                            key=f"consultation/{self.state.consultations}")
        self._enter(Stage.CONSULTATION)
        if patched(CONSULTATION_LETTERS):  # the applicant is told; the consulted body is asked
            letters = [self.letter("consultation", "征求意见告知书"),
                       replace(self.letter("consultation_request", "征求意见函"), public=False)]
        else:
            letters = [self.letter("consultation", "征求意见函")]
        return await self.project(actor.username, "consultation_started",
                                  f"征求{rules.CONSULTATION_KINDS[kind]}意见：{self.state.consultation_party}"
                                  "，答复期限暂停计算", letters=letters, detail={"kind": kind})

    @action
    async def end_consultation(self, actor: Actor, summary: str) -> DisclosureView:
        self.finish("consultation", None, actor.username)
        reply = self.deadline("reply")
        if reply and reply.spec.is_paused:
            reply.resume(actor.username)
        self._enter(Stage.HANDLING)
        return await self.project(actor.username, "consultation_ended",
                                  f"征求意见结束：{summary.strip()}，答复期限恢复计算")

    # -- extension -------------------------------------------------------------------------------------
    @action
    async def request_extension(self, actor: Actor, days: int, reason: str) -> DisclosureView:
        self.state.extension = Extension("requested", days, reason.strip())
        return await self.project(actor.username, "extension_requested",
                                  f"申请延期 {days} 个工作日：{reason.strip()}")

    @action
    async def decide_extension(self, actor: Actor, approve: bool, comment: str) -> DisclosureView:
        extension = self.state.extension
        letters = []
        if approve:
            reply = self.deadline("reply")
            if reply:
                reply.extend(extension.days, extension.reason, actor.username)
            letters.append(self.letter("extension", "延期答复告知书"))
        extension.status, extension.comment = ("approved" if approve else "refused"), comment.strip()
        verdict = "同意" if approve else "不同意"
        told = self.tell_officer("extension_decided", "【延期已批准】" if approve else "【延期未批准】", "")
        if told:  # the notice names the reply's due instant as it now is
            reply = self.deadline("reply")
            if reply:
                await reply.settled()
            told[0].body = (f"公开办负责人{verdict}延期 {extension.days} 个工作日"
                            + (f"（意见：{comment.strip()}）" if comment.strip() else "") + "。" + self._reply_due())
        return await self.project(actor.username, "extension_approved" if approve else "extension_refused",
                                  f"公开办负责人{verdict}延期 {extension.days} 个工作日"
                                  + (f"：{comment.strip()}" if comment.strip() else ""), letters=letters,
                                  notices=told)

    def _reply_due(self) -> str:
        reply = self.deadline("reply")
        return f"答复期限{deadline_text(reply.due_at)}（北京时间）。" if reply and reply.due_at else ""

    # -- the reply -------------------------------------------------------------------------------------
    @action
    async def draft_reply(self, actor: Actor, disposition: str, reason: str, text: str,
                          files: list[Attachment] | None = None) -> DisclosureView:
        """`files`: the documents the reply discloses, all of them (a redraft replaces them); None (a
        draft sent without them, as before they existed) keeps those a returned draft had."""
        self.state.draft = ReplyDraft(disposition, reason, text.strip())
        if files is not None:
            self.state.reply_files = list(files)
        self._enter(Stage.SIGN_OFF)
        attached = f"，附件 {len(self.state.reply_files)} 个" if self.state.reply_files else ""
        return await self.project(actor.username, "reply_drafted",
                                  f"起草答复：{rules.DISPOSITIONS[disposition][0]}（{rules.REASON_LABEL[reason]}）{attached}")

    @action
    async def sign_off(self, actor: Actor, approve: bool, comment: str) -> DisclosureView:
        if approve:
            self._enter(Stage.SIGNED)
            return await self.project(actor.username, "reply_signed_off", "公开办负责人审签同意",
                                      detail={"opinion": comment.strip()})
        self.state.draft.comment = comment.strip()
        self._enter(Stage.HANDLING)
        told = self.tell_officer("reply_returned", "【答复草稿退回】",
                                 f"公开办负责人退回答复草稿，意见：{comment.strip()}。请修改后重新报送审签。{self._reply_due()}")
        return await self.project(actor.username, "reply_returned", f"审签退回：{comment.strip()}", notices=told)

    @action
    async def send_reply(self, actor: Actor, day: str, channel: str) -> DisclosureView:
        self.state.reply = ReplySent(day, channel)
        self.finish("reply", None, actor.username)
        self.state.outcome = "replied"
        self._enter(Stage.REPLIED)
        d = self.state.draft.disposition
        letter = self.letter(f"reply_{d}", f"政府信息公开申请答复书（{rules.DISPOSITIONS[d][0]}）")
        return await self.project(actor.username, "reply_sent",
                                  f"答复已送达（{rules.REPLY_CHANNELS[channel]}，{day}）", letters=[letter])

    @action
    async def archive(self, actor: Actor) -> DisclosureView:
        self._enter(Stage.ARCHIVED)
        return await self.project(actor.username, "archived", "归档")

    @action
    async def withdraw(self, actor: Actor, reason: str) -> DisclosureView:
        for d in self.open_deadlines():
            d.finish("cancelled", actor.username)
        self.state.draft = ReplyDraft("OTHER", "other", f"申请人撤回申请：{reason.strip()}")
        self.state.outcome = "withdrawn"
        self._enter(Stage.WITHDRAWN)
        return await self.project(actor.username, "withdrawn", f"申请人撤回申请：{reason.strip()}",
                                  letters=[self.letter("withdrawn", "撤回申请确认书")])

    # -- after the reply, and supervision ----------------------------------------------------------------
    @action
    async def record_review(self, actor: Actor, review: ReviewRecord) -> DisclosureView:
        await call(DisclosureActivities.record_review, ReviewInput(
            self.case_id, f"{self.case_id}/review/{self.version + 1}", review.kind, review.outcome,
            review.note.strip(), actor.username, local_date(workflow.now()).year))
        return await self.project(actor.username, "review_recorded",
                                  f"登记{rules.REVIEW_KINDS[review.kind]}：{rules.REVIEW_OUTCOMES[review.outcome]}")

    @action
    async def supervise(self, actor: Actor, note: str) -> DisclosureView:
        reply = self.deadline("reply")
        await call(DisclosureActivities.supervise, SuperviseInput(
            self.case_id, workflow.info().workflow_id, f"{self.case_id}/supervision/{self.version + 1}",
            self.state.department_id, note.strip(), actor.username, reply.due_at if reply else None))
        return self.view()
