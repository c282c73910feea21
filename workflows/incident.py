"""A major incident or public-opinion case (突发事件 / 政务舆情回应): one workflow per case.

Registration with the time the event happened → hour clocks from the event (or its detection, a
rule parameter): authoritative information within 5 h and a press conference within 24 h for
major and especially major incidents, a response within 48 h otherwise → continued releases,
with a reminder every N hours without one → triage (C15), referral of false information →
evaluation → closed. The ladders remind the department, then escalate to supervision at the due
instant and to the principal head when overdue. A case registered late is overdue at once."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.deadline import DeadlineRef
    from activities.disclosure import TaskSpec
    from activities.incident import IncidentInput, IncidentProjection, NoticeSpec
    from gongkai import incident as rules
    from gongkai.clock import CST, ClockKind, ClockSpec
    from gongkai.disclosure import Actor
    from gongkai.errors import InvalidInput
    from gongkai.explain import span_zh
    from gongkai.incident import Stage
    from gongkai.rules import get_rule
    from workflows.case import ProjectedCase
    from workflows.deadline import DurableDeadline, run_activity
    from workflows.errors import rejecting
    from workflows.incident_types import IncidentView, PressConference, Release

OPEN_FOR_RELEASES = {Stage.RESPONDING, Stage.PRESS, Stage.FOLLOW_UP, Stage.EVALUATION}


def _at(value) -> str:
    return value.astimezone(CST).strftime("%m-%d %H:%M")


@workflow.defn
class IncidentWorkflow(ProjectedCase):
    PROCESS = "incident"

    @workflow.init
    def __init__(self, inp: IncidentInput) -> None:
        # The input is read here, not in run(): an update delivered with the start is validated first.
        self.inp: IncidentInput | None = inp
        self.stage = Stage.RESPONDING
        self.version = 0
        self.releases: list[dict] = []
        self.press: dict | None = None
        self.triage = ""
        self.triage_note = ""
        self.referrals: list[dict] = []
        self.evaluation: dict | None = None
        self.late: list[str] = []
        self.follow_ups = 0
        self.closed_at = ""
        self.deadlines: dict[str, DurableDeadline] = {}
        self._tasks: list[asyncio.Task] = []
        self._projecting = asyncio.Lock()
        self._projected_tasks: list[str] = []  # the open stage tasks of the last projection

    @property
    def case_id(self) -> str:
        return self.inp.case_id if self.inp else ""

    def open_deadlines(self) -> list[DurableDeadline]:
        return [d for d in self.deadlines.values() if d.is_open]

    @property
    def _major(self) -> bool:
        assert self.inp
        return self.inp.grade in rules.MAJOR_GRADES

    def view(self) -> IncidentView:
        return IncidentView(self.inp.case_id if self.inp else "", self.stage.value, self.version, len(self.releases),
                            self.press is not None, self.triage, list(self.late))

    # -- projection ------------------------------------------------------------------------------
    def _tasks_wanted(self) -> list[TaskSpec]:
        assert self.inp
        cid, dept, title = self.inp.case_id, self.inp.department_id, self.inp.title

        def task(name: str, what: str, department: int | None, role: str | None, clock: str | None = None):
            d = self.deadlines.get(clock) if clock else None
            due = d.due_at if d and d.is_open else None
            return TaskSpec(f"{cid}/stage:{name}", f"stage:incident_{name}", f"{what}：{title}"[:200], department,
                            role, None, d.ref.deadline_id if due else None, due)

        tasks = []
        if self.stage is Stage.RESPONDING:
            tasks.append(task("release", "发布权威信息", dept, None, "release" if self._major else "response"))
        press = self.deadlines.get("press")
        if press and press.is_open:
            tasks.append(task("press", "召开新闻发布会", dept, None, "press"))
        if self.stage is Stage.FOLLOW_UP:
            tasks.append(task("follow_up", "持续发布、研判并申请结束回应", dept, None))
        if self.stage is Stage.EVALUATION:
            tasks.append(task("evaluation", "评估回应效果并办结", None, "office_head"))
        if self.stage in {Stage.RESPONDING, Stage.PRESS, Stage.FOLLOW_UP}:
            tasks += [task(f"assist:{co}", "配合回应", co, None) for co in self.inp.co_departments]
        return tasks

    async def _project(self, actor: str, action: str, summary: str,
                       notices: list[NoticeSpec] | None = None) -> IncidentView:
        assert self.inp
        if action != "incident_opened" and self.version == 0:  # an update arrived before the case opened
            await workflow.wait_condition(lambda: self.version > 0)
        async with self._projecting:  # one projection at a time, in version order
            for d in self.deadlines.values():
                await d.settled()
            inp = self.inp
            first = self.releases[0]["released_at"] if self.releases else None
            fields = {"title": inp.title, "grade": inp.grade, "source": inp.source, "location": inp.location,
                      "department_id": inp.department_id, "co_departments": list(inp.co_departments),
                      "occurred_at": inp.occurred_at.isoformat(), "detected_at": inp.detected_at.isoformat(),
                      "stage": self.stage.value, "triage": self.triage, "first_release_at": first,
                      "press_at": self.press["held_at"] if self.press else None, "releases": len(self.releases),
                      "late_at_registration": bool(self.late), "closed_at": self.closed_at or None}
            tasks = self._tasks_wanted()
            self.version += 1
            view = self.view()
            fields["state"] = {**asdict(view), "description": inp.description, "releases": list(self.releases),
                               "press": self.press, "triage_note": self.triage_note,
                               "referrals": list(self.referrals), "evaluation": self.evaluation,
                               "follow_up_hours": inp.follow_up_hours, "follow_ups": self.follow_ups,
                               "anchors": dict(inp.anchors), "created_by": inp.created_by}
            await run_activity(
                "incident.project",
                IncidentProjection(inp.case_id, workflow.info().workflow_id, self.version, fields, actor, action,
                                   summary, workflow.now(), tasks, notices or []),
                result_type=int)
            self._projected_tasks = [t.key for t in tasks]
        return view

    # -- the run -------------------------------------------------------------------------------------
    def _start_clocks(self) -> None:
        assert self.inp
        for plan in rules.clock_plan(self.inp.grade, self.inp.occurred_at, self.inp.detected_at, self.inp.anchors):
            r = get_rule(plan.rule)
            ref = DeadlineRef(f"{self.inp.case_id}/{plan.name}", self.inp.case_id, workflow.info().workflow_id,
                              "incident", plan.rule, f"突发事件 {self.inp.title}",
                              department_id=self.inp.department_id)
            deadline = DurableDeadline(ref, ClockSpec(kind=ClockKind(r.kind), amount=r.amount, start=plan.start,
                                                      rule=plan.rule, label=r.label, source=r.source))
            self.deadlines[plan.name] = deadline
            self._tasks.append(asyncio.create_task(deadline.run()))

    def _registration_notices(self) -> list[NoticeSpec]:
        assert self.inp
        inp = self.inp
        grade = rules.GRADES[inp.grade]
        clocks = "；".join(f"{d.spec.label}截止 {_at(d.due_at)}" for d in self.deadlines.values() if d.due_at)
        body = (f"{grade}：{inp.title}（{inp.location}），发生于 {_at(inp.occurred_at)}，"
                f"来源：{rules.SOURCES[inp.source]}。{clocks}。" + ("登记时已超期，请立即处置。" if self.late else ""))
        title = f"【{'已超期' if self.late else '新登记'}】突发事件 {inp.title}"
        key = f"{inp.case_id}/registered"
        notices = [NoticeSpec(f"{key}/department", "department", inp.department_id, title, body),
                   NoticeSpec(f"{key}/office", "office_head", None, title, body),
                   NoticeSpec(f"{key}/supervisor", "supervisor", None, title, body)]
        notices += [NoticeSpec(f"{key}/co:{co}", "department_head", co, f"【配合回应】突发事件 {inp.title}",
                               body + "贵单位为共同责任单位，请在职责范围内配合回应。") for co in inp.co_departments]
        if self._major:  # C14: in major emergencies the principal head leads
            notices.append(NoticeSpec(f"{key}/principal", "principal_head", None, title, body, level=1))
        return notices

    @workflow.run
    async def run(self, inp: IncidentInput) -> str:
        self.inp = inp
        self._start_clocks()
        for d in self.deadlines.values():
            await d.settled()
        now = workflow.now()
        self.late = [d.spec.label for d in self.deadlines.values() if d.due_at is not None and d.due_at <= now]
        summary = f"登记{rules.GRADES[inp.grade]}：{inp.title}（发生于 {_at(inp.occurred_at)}）"
        if self.late:
            worst = min(d.due_at for d in self.deadlines.values() if d.due_at is not None)
            summary += f"；登记时已超过{'、'.join(self.late)}时限（已超期 {span_zh(now - worst)}）"
        await self._project(inp.created_by, "incident_opened", summary, self._registration_notices())
        every = timedelta(hours=inp.follow_up_hours)
        while self.stage is not Stage.CLOSED:
            if not self.releases:
                await workflow.wait_condition(lambda: bool(self.releases) or self.stage is Stage.CLOSED)
                continue
            seen = len(self.releases)
            try:  # keep releasing as work progresses (C12): remind after N hours without a release
                await workflow.wait_condition(
                    lambda seen=seen: len(self.releases) > seen or self.stage is Stage.CLOSED, timeout=every)
            except TimeoutError:
                self.follow_ups += 1
                last = datetime.fromisoformat(self.releases[-1]["released_at"])
                body = (f"{inp.title}：距上次发布（{_at(last)}）已超过{inp.follow_up_hours}小时，"
                        "请根据处置进展持续发布权威信息。案件：" + inp.case_id)
                await self._project("system", "follow_up_reminder", f"持续发布提醒（第{self.follow_ups}次）",
                                    [NoticeSpec(f"{inp.case_id}/follow_up/{self.follow_ups}", "department",
                                                inp.department_id, f"【持续发布提醒】突发事件 {inp.title}", body)])
        for d in self.open_deadlines():
            d.finish("cancelled")
        for d in self.deadlines.values():
            await d.settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.stage.value

    def _responsible(self, actor: Actor) -> None:
        assert self.inp
        rules.require_responsible(actor.role, actor.department_id, self.inp.department_id, self.inp.co_departments)

    # -- releases and the press conference -------------------------------------------------------
    def _finish_clock(self, name: str, at, actor: str) -> str | None:
        d = self.deadlines.get(name)
        if d is None or not d.is_open:
            return None
        outcome = "late" if d.due_at is not None and at > d.due_at else "met"
        d.finish(outcome, actor)
        return outcome

    def _finish_first_clock(self, at, actor: str) -> str | None:
        """The first authoritative release stops the 5-hour (or the 48-hour) clock."""
        return self._finish_clock("release", at, actor) or self._finish_clock("response", at, actor)

    def _after_release(self) -> None:
        press = self.deadlines.get("press")
        self.stage = Stage.PRESS if press is not None and press.is_open and self.press is None else Stage.FOLLOW_UP

    @workflow.update
    async def release(self, actor: Actor, item: Release) -> IncidentView:
        first = not self.releases
        self.releases.append({"text": item.text.strip(), "channel": item.channel,
                              "released_at": item.released_at.isoformat(), "approved_by": item.approved_by.strip(),
                              "by": actor.username, "recorded_at": workflow.now().isoformat()})
        channel = rules.CHANNELS[item.channel]
        if not first:
            return await self._project(actor.username, "follow_up_release",
                                       f"持续发布（第{len(self.releases)}次，{channel}，{_at(item.released_at)}）")
        outcome = self._finish_first_clock(item.released_at, actor.username)
        if self.stage is Stage.RESPONDING:
            self._after_release()
        verdict = {"late": "，超过时限", "met": "，在时限内"}.get(outcome or "", "")
        return await self._project(actor.username, "authoritative_release",
                                   f"首次发布权威信息（{channel}，{_at(item.released_at)}，签发：{item.approved_by.strip()}"
                                   f"{verdict}）")

    @release.validator
    @rejecting
    def _v_release(self, actor: Actor, item: Release) -> None:
        assert self.inp
        rules.require(self.stage in OPEN_FOR_RELEASES, "案件已办结，不能再登记发布")
        self._responsible(actor)
        rules.check_release(item.text, item.channel, item.approved_by)
        rules.check_instant(item.released_at, self.inp.occurred_at, workflow.now(), "发布时间")

    @workflow.update
    async def press_conference(self, actor: Actor, item: PressConference) -> IncidentView:
        self.press = {"held_at": item.held_at.isoformat(), "place": item.place.strip(),
                      "spokesperson": item.spokesperson.strip(), "head_attended": item.head_attended,
                      "by": actor.username}
        outcome = self._finish_clock("press", item.held_at, actor.username)
        if not self.releases:  # a press conference is itself the first authoritative release
            self.releases.append({"text": f"新闻发布会（{item.place.strip()}）", "channel": "briefing",
                                  "released_at": item.held_at.isoformat(), "approved_by": item.spokesperson.strip(),
                                  "by": actor.username, "recorded_at": workflow.now().isoformat()})
            self._finish_first_clock(item.held_at, actor.username)
        if self.stage in {Stage.RESPONDING, Stage.PRESS}:
            self.stage = Stage.FOLLOW_UP
        head = "部门主要负责人出席" if item.head_attended else "部门主要负责人未出席"
        verdict = {"late": "，超过时限", "met": "，在时限内"}.get(outcome or "", "")
        return await self._project(actor.username, "press_conference",
                                   f"召开新闻发布会（{_at(item.held_at)}，{item.place.strip()}，发言人："
                                   f"{item.spokesperson.strip()}，{head}{verdict}）")

    @press_conference.validator
    @rejecting
    def _v_press(self, actor: Actor, item: PressConference) -> None:
        assert self.inp
        rules.require(self.stage in {Stage.RESPONDING, Stage.PRESS, Stage.FOLLOW_UP} and self.press is None,
                      "新闻发布会已登记或案件已进入评估")
        self._responsible(actor)
        rules.check_press(item.place, item.spokesperson)
        rules.check_instant(item.held_at, self.inp.occurred_at, workflow.now(), "发布会时间")

    # -- triage and referral -------------------------------------------------------------------------
    @workflow.update
    async def classify(self, actor: Actor, category: str, note: str) -> IncidentView:
        self.triage, self.triage_note = category, note.strip()
        note = f"（{self.triage_note}）" if self.triage_note else ""
        return await self._project(actor.username, "triaged", f"研判分类：{rules.TRIAGE[category]}{note}")

    @classify.validator
    @rejecting
    def _v_classify(self, actor: Actor, category: str, note: str) -> None:
        assert self.inp
        rules.require(self.stage in {Stage.RESPONDING, Stage.PRESS, Stage.FOLLOW_UP}, "当前阶段不能修改研判分类")
        self._responsible(actor)
        if category not in rules.TRIAGE:
            raise InvalidInput("请选择研判分类")

    @workflow.update
    async def refer(self, actor: Actor, target: str, note: str) -> IncidentView:
        self.referrals.append({"target": target, "note": note.strip(), "by": actor.username,
                               "at": workflow.now().isoformat()})
        return await self._project(actor.username, "referred",
                                   f"虚假信息已移交{rules.REFERRAL_TARGETS[target]}：{note.strip()}")

    @refer.validator
    @rejecting
    def _v_refer(self, actor: Actor, target: str, note: str) -> None:
        assert self.inp
        rules.require(self.stage is not Stage.CLOSED, "案件已办结")
        rules.require(self.triage == "false_info", "研判为虚假信息后才能移交公安或网信部门")
        self._responsible(actor)
        if target not in rules.REFERRAL_TARGETS:
            raise InvalidInput("请选择移交单位")
        if not note.strip():
            raise InvalidInput("请填写移交情况（时间、对接人、材料）")

    # -- the lead department ----------------------------------------------------------------------
    @workflow.update
    async def reassign(self, actor: Actor, department_id: int, reason: str) -> IncidentView:
        """Another department leads from now on (registered to the wrong one, or the situation
        moved): its clocks, reminders and tasks follow; both departments are told."""
        assert self.inp
        inp, previous = self.inp, self.inp.department_id
        inp.department_id = department_id
        inp.co_departments = [co for co in inp.co_departments if co != department_id]
        for d in self.open_deadlines():  # reminders go to the new department; its deadline rows say so
            d.ref.department_id = department_id
            d.recalculate(f"改派牵头部门：{reason.strip()}"[:200])
        clocks = "；".join(f"{d.spec.label}截止 {_at(d.due_at)}" for d in self.open_deadlines() if d.due_at)
        title = f"【改派牵头】突发事件 {inp.title}"
        key = f"{inp.case_id}/reassigned/{self.version + 1}"
        body = f"改派理由：{reason.strip()}。" + (f"{clocks}。" if clocks else "") + f"案件：{inp.case_id}"
        notices = [NoticeSpec(f"{key}/to", "department", department_id, title, "本案改由贵单位牵头回应。" + body),
                   NoticeSpec(f"{key}/from", "department", previous, title, "本案已改由其他部门牵头。" + body)]
        return await self._project(actor.username, "lead_reassigned", f"改派牵头部门：{reason.strip()}", notices)

    @reassign.validator
    @rejecting
    def _v_reassign(self, actor: Actor, department_id: int, reason: str) -> None:
        assert self.inp
        rules.require(self.stage in {Stage.RESPONDING, Stage.PRESS, Stage.FOLLOW_UP}, "回应结束后不能再改派牵头部门")
        rules.require_decider(actor.role, "改派牵头部门")
        if department_id <= 0:
            raise InvalidInput("请选择新的牵头部门")
        if department_id == self.inp.department_id:
            raise InvalidInput("所选部门已是牵头部门")
        if not reason.strip():
            raise InvalidInput("请说明改派理由")

    # -- evaluation and closure ------------------------------------------------------------------
    @workflow.update
    async def end_response(self, actor: Actor) -> IncidentView:
        self.stage = Stage.EVALUATION
        return await self._project(actor.username, "response_ended", "回应处置完毕，提请公开办评估")

    @end_response.validator
    @rejecting
    def _v_end(self, actor: Actor) -> None:
        assert self.inp
        rules.require(self.stage is Stage.FOLLOW_UP, "首次发布及新闻发布会完成后才能结束回应")
        self._responsible(actor)
        rules.require(bool(self.triage), "请先完成研判分类")
        if self.triage == "false_info" and not self.referrals:
            raise rules.ActionNotAllowed("研判为虚假信息的，请先登记移交公安或网信部门的情况")

    @workflow.update
    async def evaluate(self, actor: Actor, effect: str, summary: str) -> IncidentView:
        self.evaluation = {"effect": effect, "summary": summary.strip(), "by": actor.username,
                           "at": workflow.now().isoformat()}
        return await self._project(actor.username, "evaluated",
                                   f"效果评估：{rules.EFFECTS[effect]}。{summary.strip()}")

    @evaluate.validator
    @rejecting
    def _v_evaluate(self, actor: Actor, effect: str, summary: str) -> None:
        rules.require(self.stage is Stage.EVALUATION, "结束回应后才能评估")
        rules.require_decider(actor.role)
        if effect not in rules.EFFECTS:
            raise InvalidInput("请选择回应效果")
        if not summary.strip():
            raise InvalidInput("请填写评估意见")

    @workflow.update
    async def close(self, actor: Actor) -> IncidentView:
        self.stage = Stage.CLOSED
        self.closed_at = workflow.now().isoformat()
        return await self._project(actor.username, "closed", "办结")

    @close.validator
    @rejecting
    def _v_close(self, actor: Actor) -> None:
        rules.require(self.stage is Stage.EVALUATION, "当前阶段不能办结")
        rules.require_decider(actor.role)
        rules.require(self.evaluation is not None, "请先完成效果评估")

    @workflow.query
    def state(self) -> IncidentView:
        return self.view()
