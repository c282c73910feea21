"""The yardstick for bench/throughput.py: a workflow that runs one activity and returns."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench.bare")
async def bare_activity(n: int) -> int:
    return n + 1


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity("bench.bare", n, result_type=int,
                                               start_to_close_timeout=timedelta(seconds=30))
