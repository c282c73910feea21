"""The daily digest, started by a Temporal schedule at 08:30 Beijing time every day (worker.py
ensure_digest_schedule); the activity looks at the working-day calendar and sends nothing on a
weekend or holiday. A run for a given day (a manual trigger, a test) speaks of 08:30 that day."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.digest import DigestActivities
    from contracts.digest import WORKFLOW, DigestDay, DigestInput, DigestReport
    from gongkai.clock import local_date
    from gongkai.digest import digest_at
    from workflows.calls import RETRY

SEND_TIMEOUT = timedelta(minutes=10)  # every account's tasks read and the day's messages planned


@workflow.defn(name=WORKFLOW)
class DigestWorkflow:
    @workflow.run
    async def run(self, inp: DigestInput) -> DigestReport:
        now = workflow.now()
        day = DigestDay(inp.day, digest_at(date.fromisoformat(inp.day))) if inp.day else \
            DigestDay(local_date(now).isoformat(), now)
        return await workflow.execute_activity_method(
            DigestActivities.send, day, start_to_close_timeout=SEND_TIMEOUT, retry_policy=RETRY)
