"""A proactive-disclosure publication item (主动公开事项): one workflow per item.

Opened when the thing to publish happens (its trigger starts the clock of its kind's rule in the
case's rules) → the responsible department prepares it and submits → confidentiality review where
required (保密审查; a return sends it back with the reviewer's note) → published channel by channel,
each with its address and time (双公示: both websites) → done when every required channel has it,
judged on time or late by the last of them. It may be cancelled (撤销) with a reason."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.publication import PublicationActivities
    from contracts.publication import (
        ACTIONS,
        WORKFLOW,
        ChannelRecord,
        PublicationInput,
        PublicationState,
        PublicationView,
        Review,
    )
    from gongkai import publication as rules
    from gongkai.instants import instant_text
    from gongkai.publication import Stage
    from gongkai.roles import Actor, Role
    from workflows.kit import CaseWorkflow, Work, action, case

CLOCK = "publication"  # the item's one clock


@case(WORKFLOW)
class PublicationWorkflow(CaseWorkflow[PublicationInput, PublicationState, PublicationView]):
    PROCESS, ACTIONS, PROJECT, STEP = "publication", ACTIONS, PublicationActivities.project, PublicationActivities.step
    TITLE = "公开事项 {title}"

    # -- the item --------------------------------------------------------------------------------------
    def _missing(self) -> list[str]:
        done = {r.channel for r in self.state.published}
        return [c for c in self.inp.channels if c not in done]

    def view(self) -> PublicationView:
        inp = self.inp
        return PublicationView(**self.snapshot(), case_id=inp.case_id, version=self.version, title=inp.title,
                               kind=inp.kind, catalogue_id=inp.catalogue_id, channels=list(inp.channels),
                               secrecy_review=inp.secrecy_review, triggered_at=inp.triggered_at, source=inp.source,
                               external_key=inp.external_key, content=inp.content,
                               rule=rules.rule_for(inp.kind, self.book).name, missing=self._missing())

    def work(self) -> list[Work]:
        dept = self.inp.department_id
        who = {Stage.DRAFTING: (None, "准备并提交发布"), Stage.SECRECY_REVIEW: (Role.DEPT_HEAD, "保密审查"),
               Stage.PUBLISHING: (None, "登记发布")}.get(self.state.stage)
        if who is None:
            return []
        role, title = who
        return [Work(f"stage:publication_{self.state.stage.value}", f"{title}：{self.inp.title}", dept, role,
                     clock=CLOCK)]

    # -- the run -----------------------------------------------------------------------------------------
    async def open_case(self) -> None:
        inp = self.inp
        rule = rules.rule_for(inp.kind, self.book)
        self.start_deadline(CLOCK, rule.name, inp.triggered_at)
        channels = "、".join(rules.CHANNELS[c] for c in inp.channels)
        how = f"{rules.KINDS[inp.kind][0]}，{rules.SOURCES.get(inp.source, '')}"
        when = instant_text(inp.triggered_at)
        await self.project(inp.created_by, "publication_opened",
                           f"登记公开事项：{inp.title}（{how}；发生于 {when}；须在{channels}发布）", first=True)

    async def follow(self) -> None:
        await workflow.wait_condition(lambda: self.state.stage in {Stage.DONE, Stage.CANCELLED})

    # -- the actions -----------------------------------------------------------------------------------
    @action
    async def submit(self, actor: Actor) -> PublicationView:
        s = self.state
        s.stage = Stage.SECRECY_REVIEW if self.inp.secrecy_review else Stage.PUBLISHING
        what = "提交保密审查" if s.stage is Stage.SECRECY_REVIEW else "提交发布（本事项无需保密审查）"
        return await self.project(actor.username, "submitted", what)

    @action
    async def review(self, actor: Actor, passed: bool, note: str) -> PublicationView:
        s = self.state
        s.reviews.append(Review(passed, note.strip(), actor.username, workflow.now()))
        s.comment = note.strip()
        if passed:
            s.stage = Stage.PUBLISHING
            return await self.project(actor.username, "secrecy_passed",
                                      "保密审查通过" + (f"：{s.comment}" if s.comment else ""))
        s.stage = Stage.DRAFTING
        return await self.project(actor.username, "secrecy_returned", f"保密审查退回修改：{s.comment}",
                                  notices=self.tell_officer("secrecy_returned", "【保密审查退回】", s.comment))

    @action
    async def publish(self, actor: Actor, channel: str, url: str, at_text: str) -> PublicationView:
        """`at_text`: when it went up, ISO 8601 with its offset."""
        s = self.state
        at = rules.instant_of(at_text)
        s.published.append(ChannelRecord(channel, url.strip(), at, actor.username))
        summary = f"已在{rules.CHANNELS[channel]}发布（{instant_text(at)}）：{url.strip()}"
        if not self._missing():
            last = max(r.at for r in s.published if r.channel in self.inp.channels)
            s.outcome = self.finish_at(CLOCK, last, actor.username) or "met"
            s.stage = Stage.DONE
            summary += "；各渠道均已发布" + ("（超期）" if s.outcome == "late" else "（按期）")
        return await self.project(actor.username, "published", summary)

    @action
    async def cancel(self, actor: Actor, reason: str) -> PublicationView:
        s = self.state
        self.finish(CLOCK, "cancelled", actor.username)
        s.stage, s.outcome, s.comment = Stage.CANCELLED, "cancelled", reason.strip()
        return await self.project(actor.username, "cancelled", f"撤销：{s.comment}")
