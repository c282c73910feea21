"""A minimal workflow hosting one durable deadline, driven by updates, for testing the helper
the way a process workflow uses it."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.deadline import DeadlineRef
    from gongkai.clock import ClockKind, ClockSpec
    from gongkai.failures import rejecting
    from tests.support.host_types import HostInput, HostState
    from workflows.deadline import DeadlineHost, DurableDeadline


@workflow.defn
class ClockHostWorkflow(DeadlineHost):
    def __init__(self) -> None:
        self.deadline: DurableDeadline | None = None

    def open_deadlines(self) -> list[DurableDeadline]:
        return [self.deadline] if self.deadline else []

    @workflow.run
    async def run(self, inp: HostInput) -> str:
        ref = DeadlineRef(
            deadline_id=f"{inp.case_id}/{inp.rule}", case_id=inp.case_id, workflow_id=workflow.info().workflow_id,
            process="test", rule=inp.rule, title=f"测试案件 {inp.case_id}",
            department_id=inp.department_id, assignee_id=inp.assignee_id,
        )
        self.deadline = DurableDeadline(ref, ClockSpec(kind=ClockKind(inp.kind), amount=inp.amount, start=inp.start))
        runner = asyncio.create_task(self.deadline.run())
        return await runner

    def _state(self) -> HostState:
        assert self.deadline
        return HostState(self.deadline.due_at, self.deadline.spec.is_paused, self.deadline.level,
                         self.deadline.is_open)

    @workflow.query
    def state(self) -> HostState:
        return self._state()

    @workflow.update
    async def pause(self, reason: str) -> HostState:
        assert self.deadline
        self.deadline.pause(reason, actor="tester")
        await self.deadline.settled()
        return self._state()

    @pause.validator
    @rejecting
    def _validate_pause(self, reason: str) -> None:
        assert self.deadline
        self.deadline.spec.paused(workflow.now(), reason)

    @workflow.update
    async def resume(self) -> HostState:
        assert self.deadline
        self.deadline.resume(actor="tester")
        await self.deadline.settled()
        return self._state()

    @resume.validator
    @rejecting
    def _validate_resume(self) -> None:
        assert self.deadline
        self.deadline.spec.resumed(workflow.now())

    @workflow.update
    async def extend(self, days: int) -> HostState:
        assert self.deadline
        self.deadline.extend(days, "情况复杂", actor="tester")
        await self.deadline.settled()
        return self._state()

    @extend.validator
    @rejecting
    def _validate_extend(self, days: int) -> None:
        assert self.deadline
        self.deadline.spec.extended(days, workflow.now())

    @workflow.update
    async def restart(self) -> HostState:
        assert self.deadline
        self.deadline.restart("收到补正申请", actor="tester")
        await self.deadline.settled()
        return self._state()

    @workflow.update
    async def complete(self) -> str:
        assert self.deadline
        self.deadline.finish(actor="tester")
        await self.deadline.settled()
        return self.deadline.outcome or ""
