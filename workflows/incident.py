"""A major incident or public-opinion case (突发事件 / 政务舆情回应): one workflow per case.

Registration with the time the event happened → hour clocks from the event (or its detection, a
rule parameter): authoritative information within 5 h and a press conference within 24 h for
major and especially major incidents, a response within 48 h otherwise → continued releases,
with a reminder every N hours without one → triage (C15), referral of false information →
evaluation → closed. The ladders remind the department, then escalate to supervision at the due
instant and to the principal head when overdue. A case registered late is overdue at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.incident import IncidentActivities
    from contracts.case import LetterSpec, NoticeSpec
    from contracts.incident import (
        ACTIONS,
        WORKFLOW,
        Evaluation,
        IncidentInput,
        IncidentState,
        IncidentView,
        PressConference,
        PressRecord,
        Referral,
        Release,
        ReleaseRecord,
        Supervision,
    )
    from gongkai import incident as rules
    from gongkai.explain import due_text, span_zh
    from gongkai.incident import RESPONDING_STAGES, Stage
    from gongkai.instants import instant_text
    from gongkai.roles import Actor, Role
    from workflows.kit import CaseWorkflow, Work, action, case


def _at(value: datetime) -> str:
    return instant_text(value)  # the one way (gongkai.instants), in summaries and notices alike


@case(WORKFLOW)
class IncidentWorkflow(CaseWorkflow[IncidentInput, IncidentState, IncidentView]):
    PROCESS, ACTIONS, PROJECT, STEP = "incident", ACTIONS, IncidentActivities.project, IncidentActivities.step
    TITLE = "突发事件 {title}"

    # -- the case --------------------------------------------------------------------------------------
    @property
    def _major(self) -> bool:
        return self.inp.grade in rules.MAJOR_GRADES

    def view(self) -> IncidentView:
        inp = self.inp
        return IncidentView(**self.snapshot(), case_id=self.case_id, version=self.version, title=inp.title,
                            description=inp.description, location=inp.location, grade=inp.grade, source=inp.source,
                            occurred_at=inp.occurred_at, detected_at=inp.detected_at, created_by=inp.created_by,
                            follow_up_hours=inp.follow_up_hours, anchors=dict(inp.anchors))

    def work(self) -> list[Work]:
        s, title, dept = self.state, self.inp.title, self.state.department_id

        def task(name: str, what: str, department: int | None, role: Role | None = None,
                 clock: str | None = None) -> Work:
            return Work(f"stage:incident_{name}", f"{what}：{title}", department, role, clock=clock)

        wanted = []
        if s.stage is Stage.RESPONDING:
            wanted.append(task("release", "发布权威信息", dept, clock="release" if self._major else "response"))
        if self.deadline("press") is not None:
            wanted.append(task("press", "召开新闻发布会", dept, clock="press"))
        if s.stage is Stage.FOLLOW_UP:
            wanted.append(task("follow_up", "持续发布、研判并申请结束回应", dept))
        if s.stage is Stage.EVALUATION:
            wanted.append(task("evaluation", "评估回应效果并办结", None, Role.OFFICE_HEAD))
        if s.stage in RESPONDING_STAGES:
            wanted += [task(f"assist:{co}", "配合回应", co) for co in s.co_departments]
        if s.stage is not Stage.CLOSED:  # a closed case cancels its feedback clocks, and asks for no answer
            wanted += [task(f"supervision:{v.number}", f"反馈督办落实情况（第{v.number}号督办）", v.department_id,
                            clock=f"supervision:{v.number}") for v in s.supervisions if v.open]
        return wanted

    def legacy_task_key(self, work: Work, since: int) -> str:
        return f"{self.case_id}/stage:{work.kind.removeprefix('stage:incident_')}"

    # -- the run ---------------------------------------------------------------------------------------
    def _clocks_text(self) -> str:
        return "；".join(f"{d.spec.label}截止 {_at(d.due_at)}" for d in self.open_deadlines() if d.due_at)

    def _registration_notices(self) -> list[NoticeSpec]:
        inp = self.inp
        grade = rules.GRADES[inp.grade]
        body = (f"{grade}：{inp.title}（{inp.location}），发生于 {_at(inp.occurred_at)}，"
                f"来源：{rules.SOURCES[inp.source]}。{self._clocks_text()}。"
                + ("登记时已超期，请立即处置。" if self.state.late else ""))
        title = f"【{'已超期' if self.state.late else '新登记'}】突发事件 {inp.title}"
        key = f"{self.case_id}/registered"
        notices = [NoticeSpec(f"{key}/department", "department", inp.department_id, title, body),
                   NoticeSpec(f"{key}/office", "office_head", None, title, body),
                   NoticeSpec(f"{key}/supervisor", "supervisor", None, title, body)]
        notices += [NoticeSpec(f"{key}/co:{co}", "department_head", co, f"【配合回应】突发事件 {inp.title}",
                               body + "贵单位为共同责任单位，请在职责范围内配合回应。") for co in inp.co_departments]
        if self._major:  # C14: in major emergencies the principal head leads
            notices.append(NoticeSpec(f"{key}/principal", "principal_head", None, title, body, level=1))
        return notices

    async def open_case(self) -> None:
        inp = self.inp
        absent = frozenset(n for n, r in self.book.rules.items() if not r.applies)
        for plan in rules.clock_plan(inp.grade, inp.occurred_at, inp.detected_at, inp.anchors, absent):
            self.start_deadline(plan.name, plan.rule, plan.start)
        await self.settle()
        now = workflow.now()
        due = [d for d in self.deadlines.values() if d.due_at is not None]
        self.state.late = [d.spec.label for d in due if d.due_at is not None and d.due_at <= now]
        summary = f"登记{rules.GRADES[inp.grade]}：{inp.title}（发生于 {_at(inp.occurred_at)}）"
        if self.state.late:
            worst = min(d.due_at for d in due if d.due_at is not None)
            summary += f"；登记时已超过{'、'.join(self.state.late)}时限（已超期 {span_zh(now - worst)}）"
        await self.project(inp.created_by, "incident_opened", summary, notices=self._registration_notices(), first=True)

    async def follow(self) -> None:
        inp, s = self.inp, self.state
        every = timedelta(hours=inp.follow_up_hours)
        while s.stage is not Stage.CLOSED:
            if not s.releases:
                await workflow.wait_condition(lambda: bool(s.releases) or s.stage is Stage.CLOSED)
                continue
            seen = len(s.releases)
            try:  # keep releasing as work progresses (C12): remind after N hours without a release
                await workflow.wait_condition(
                    lambda seen=seen: len(s.releases) > seen or s.stage is Stage.CLOSED, timeout=every)
            except TimeoutError:
                s.follow_ups += 1
                body = (f"{inp.title}：距上次发布（{_at(s.releases[-1].released_at)}）已超过{inp.follow_up_hours}"
                        f"小时，请根据处置进展持续发布权威信息。案件：{self.case_id}")
                await self.project("system", "follow_up_reminder", f"持续发布提醒（第{s.follow_ups}次）", notices=[
                    NoticeSpec(f"{self.case_id}/follow_up/{s.follow_ups}", "department", s.department_id,
                               f"【持续发布提醒】突发事件 {inp.title}", body)])

    # -- releases and the press conference ----------------------------------------------------------
    def _first_release(self, at: datetime, actor: str) -> str | None:
        """The first authoritative release stops the 5-hour (or the 48-hour) clock."""
        return self.finish_at("release", at, actor) or self.finish_at("response", at, actor)

    @action
    async def release(self, actor: Actor, item: Release) -> IncidentView:
        s = self.state
        first = not s.releases
        channels = item.all_channels()
        s.releases.append(ReleaseRecord(item.text.strip(), channels[0], item.released_at, item.approved_by.strip(),
                                        actor.username, workflow.now(), list(item.channels), item.link.strip(),
                                        item.screenshot))
        channel = rules.channels_zh(channels)
        if not first:
            return await self.project(actor.username, "follow_up_release",
                                      f"持续发布（第{len(s.releases)}次，{channel}，{_at(item.released_at)}）")
        outcome = self._first_release(item.released_at, actor.username)
        if s.stage is Stage.RESPONDING:
            press = self.deadline("press")
            s.stage = Stage.PRESS if press is not None and s.press is None else Stage.FOLLOW_UP
        verdict = {"late": "，超过时限", "met": "，在时限内"}.get(outcome or "", "")
        return await self.project(actor.username, "authoritative_release",
                                  f"首次发布权威信息（{channel}，{_at(item.released_at)}，签发：{item.approved_by.strip()}"
                                  f"{verdict}）")

    @action
    async def press_conference(self, actor: Actor, item: PressConference) -> IncidentView:
        s = self.state
        s.press = PressRecord(item.held_at, item.place.strip(), item.spokesperson.strip(), item.head_attended,
                              actor.username)
        outcome = self.finish_at("press", item.held_at, actor.username)
        if not s.releases:  # a press conference is itself the first authoritative release
            s.releases.append(ReleaseRecord(f"新闻发布会（{item.place.strip()}）", "briefing", item.held_at,
                                            item.spokesperson.strip(), actor.username, workflow.now()))
            self._first_release(item.held_at, actor.username)
        if s.stage in {Stage.RESPONDING, Stage.PRESS}:
            s.stage = Stage.FOLLOW_UP
        head = "部门主要负责人出席" if item.head_attended else "部门主要负责人未出席"
        verdict = {"late": "，超过时限", "met": "，在时限内"}.get(outcome or "", "")
        return await self.project(actor.username, "press_conference",
                                  f"召开新闻发布会（{_at(item.held_at)}，{item.place.strip()}，发言人："
                                  f"{item.spokesperson.strip()}，{head}{verdict}）")

    # -- triage and referral ------------------------------------------------------------------------
    @action
    async def classify(self, actor: Actor, category: str, note: str) -> IncidentView:
        self.state.triage, self.state.triage_note = category, note.strip()
        shown = f"（{self.state.triage_note}）" if self.state.triage_note else ""
        return await self.project(actor.username, "triaged", f"研判分类：{rules.TRIAGE[category]}{shown}")

    @action
    async def refer(self, actor: Actor, target: str, note: str) -> IncidentView:
        self.state.referrals.append(Referral(target, note.strip(), actor.username, workflow.now()))
        return await self.project(actor.username, "referred",
                                  f"虚假信息已移交{rules.REFERRAL_TARGETS[target]}：{note.strip()}")

    # -- the lead department ------------------------------------------------------------------------
    @action
    async def reassign(self, actor: Actor, department_id: int, reason: str) -> IncidentView:
        """Another department leads from now on (registered to the wrong one, or the situation
        moved): its clocks, reminders and tasks follow; both departments are told."""
        s, inp = self.state, self.inp
        previous = s.department_id
        s.department_id = department_id
        s.co_departments = [co for co in s.co_departments if co != department_id]
        self.move_deadlines(recalculate=f"改派牵头部门：{reason.strip()}")
        clocks = self._clocks_text()
        title = f"【改派牵头】突发事件 {inp.title}"
        key = f"{self.case_id}/reassigned/{self.version + 1}"
        body = f"改派理由：{reason.strip()}。" + (f"{clocks}。" if clocks else "") + f"案件：{self.case_id}"
        notices = [NoticeSpec(f"{key}/to", "department", department_id, title, "本案改由贵单位牵头回应。" + body),
                   NoticeSpec(f"{key}/from", "department", previous, title, "本案已改由其他部门牵头。" + body)]
        return await self.project(actor.username, "lead_reassigned", f"改派牵头部门：{reason.strip()}",
                                  notices=notices)

    # -- evaluation and closure ---------------------------------------------------------------------
    @action
    async def end_response(self, actor: Actor) -> IncidentView:
        self.state.stage = Stage.EVALUATION
        return await self.project(actor.username, "response_ended", "回应处置完毕，提请公开办评估")

    @action
    async def evaluate(self, actor: Actor, effect: str, summary: str) -> IncidentView:
        self.state.evaluation = Evaluation(effect, summary.strip(), actor.username, workflow.now())
        return await self.project(actor.username, "evaluated", f"效果评估：{rules.EFFECTS[effect]}。{summary.strip()}")

    @action
    async def close(self, actor: Actor) -> IncidentView:
        self.state.stage = Stage.CLOSED
        self.state.closed_at = workflow.now()
        return await self.project(actor.username, "closed", "办结")

    # -- supervision (督办) -----------------------------------------------------------------------
    @action
    async def supervise(self, actor: Actor, note: str, required: str = "") -> IncidentView:
        """A 督办: its 督办通知单 (numbered, issued with this projection) and its feedback clock, which
        the lead department's feedback stops."""
        s, inp = self.state, self.inp
        number, now = len(s.supervisions) + 1, workflow.now()
        clock = self.start_deadline(f"supervision:{number}", rules.SUPERVISION_RULE, now, key=f"supervision/{number}")
        await clock.settled()  # its due instant, for the notice
        record = Supervision(number, note.strip(), required.strip() or rules.SUPERVISION_REQUIRED, actor.username,
                             now, s.department_id, clock.due_at)
        s.supervisions.append(record)
        due = f"，请于 {due_text(record.due_at)} 前反馈落实情况" if record.due_at else ""
        title = f"【督办】突发事件 {inp.title}"
        # what was typed may end in its own full stop: one sentence ending each, not "。，" or "。。"
        matter, required = (t.rstrip("。；;，,. ") for t in (record.matter, record.required))
        body = f"督办事项：{matter}。办理要求：{required}{due}。案件：{self.case_id}"
        key = f"{self.case_id}/supervision/{number}"
        notices = [NoticeSpec(f"{key}/department", "department", s.department_id, title, body, level=1),
                   NoticeSpec(f"{key}/head", "department_head", s.department_id, title, body, level=1)]
        letter = LetterSpec(f"{self.case_id}/letter:supervision/{number}", "supervision",
                            f"督办通知单（第{number}号）", public=False)
        return await self.project(actor.username, "supervised", f"发出督办通知单（第{number}号）：{record.matter}{due}",
                                  letters=[letter], notices=notices)

    @action
    async def supervision_feedback(self, actor: Actor, number: int, text: str) -> IncidentView:
        record = next(v for v in self.state.supervisions if v.number == number)
        now = workflow.now()
        record.feedback, record.feedback_by, record.feedback_at = text.strip(), actor.username, now
        record.outcome = self.finish_at(f"supervision:{number}", now, actor.username) or \
            ("late" if record.due_at is not None and now > record.due_at else "met")
        verdict = "，超过反馈时限" if record.outcome == "late" else "，在反馈时限内"
        return await self.project(actor.username, "supervision_answered",
                                  f"反馈第{number}号督办落实情况{verdict}：{record.feedback}")
