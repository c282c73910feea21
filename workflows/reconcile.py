"""Reconciliation, run by a Temporal schedule: find open cases whose SQL rows drifted from their
workflow, ask each workflow to re-project itself (the usual idempotent activities write it), check
that the rows now agree, and report what was repaired."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.reconcile import ReconcileActivities
    from contracts.reconcile import ReconcileInput, ReconcileReport, ScanInput, ScanResult
    from gongkai.reconcile import REPROJECT_SIGNAL
    from workflows.calls import ACTIVITY_TIMEOUT, RETRY

SCAN_TIMEOUT = timedelta(minutes=10)


@workflow.defn(name="Reconcile")
class ReconcileWorkflow:
    @workflow.run
    async def run(self, inp: ReconcileInput) -> ReconcileReport:
        turn = int(workflow.now().timestamp() // max(inp.every_seconds, 1))
        scan = await self._scan(ScanInput(None, inp.batch, turn))
        drifts = {d.workflow_id: d for d in scan.drifts}
        for d in drifts.values():
            await workflow.get_external_workflow_handle(d.workflow_id).signal(REPROJECT_SIGNAL, d.repair)
        remaining = set(drifts)
        for _ in range(inp.verify_attempts):
            if not remaining:
                break
            await workflow.sleep(timedelta(seconds=inp.verify_after_seconds))
            again = await self._scan(ScanInput(sorted(remaining)))
            remaining = {d.workflow_id for d in again.drifts} | (set(again.unsettled) & remaining)
        report = ReconcileReport(
            run_id=workflow.info().run_id, checked=scan.checked, found=len(drifts),
            repaired=len(drifts) - len(remaining),
            unresolved=sorted(drifts[w].case_id for w in remaining),
            problems={d.case_id: d.problems for d in drifts.values()},
            open=scan.open, slice=scan.slice, slices=scan.slices, unreachable=len(scan.unreachable),
        )
        await workflow.execute_activity_method(ReconcileActivities.record, report,
                                               start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY)
        return report

    async def _scan(self, scan: ScanInput) -> ScanResult:
        return await workflow.execute_activity_method(
            ReconcileActivities.scan, scan, start_to_close_timeout=SCAN_TIMEOUT,
            heartbeat_timeout=timedelta(minutes=2), retry_policy=RETRY,
        )
