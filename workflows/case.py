"""What every case workflow shares for reconciliation: it reports what it last projected and
re-projects itself on request. A case workflow sets PROCESS, `case_id`, `stage`, `version`,
`deadlines`, `_projected_tasks`, `_projecting` and `_project(actor, action, summary)`."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from gongkai.reconcile import PROJECTION_QUERY, REPROJECT_SIGNAL, CaseState, DeadlineState, Repair
    from workflows.deadline import DeadlineHost


class ProjectedCase(DeadlineHost):
    PROCESS = ""

    @property
    def case_id(self) -> str:
        raise NotImplementedError

    async def _restore_row(self) -> None:
        """Write the case row again when reconciliation found it missing (the projection needs it)."""

    @workflow.query(name=PROJECTION_QUERY)
    def projection_state(self) -> CaseState:
        """What the last projection wrote, for the reconciliation job to compare with SQL."""
        return CaseState(
            self.case_id, self.PROCESS, self.stage.value, self.version, list(self._projected_tasks),
            [DeadlineState(d.ref.deadline_id, d.due_at, d.schedule.paused)
             for d in self.open_deadlines() if d.schedule is not None],
            settling=self.version == 0 or self._projecting.locked() or any(
                d.settling for d in self.deadlines.values()),
        )

    @workflow.signal(name=REPROJECT_SIGNAL)
    async def reproject(self, repair: Repair) -> None:
        """Write the case again through its usual idempotent projection (a new version, so a row
        tampered with at the current version is overwritten too)."""
        for d in self.open_deadlines():
            if d.ref.deadline_id in repair.deadlines:
                d.recalculate(f"对账修复：{repair.reason}"[:200])
        if repair.row_missing:
            await self._restore_row()
        await self._project("system", "reconciled", f"对账修复：{repair.reason}"[:480])
