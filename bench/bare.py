"""The yardsticks for bench/throughput.py.

- BareWorkflow: runs one activity and returns (the issue's comparison).
- SkeletonWorkflow: a disclosure case's Temporal interactions with none of its work: a start,
  two timers, five updates that each move a step and return, the first timer cancelled at the
  second step and the second at the fifth, then open and idle as a replied case is. Its rate is
  what the Temporal server and client allow for that shape on this machine, whatever the
  workflow does; the gap between it and a disclosure request is Gongkai's own cost.
  With `write=True` the start and each update also run one local activity that does nothing:
  the least the architecture allows, since every step's change reaches SQL through an activity
  before the update returns (design.md)."""

from __future__ import annotations

import asyncio
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


SKELETON_STEPS = 5


@workflow.defn(name="SkeletonWorkflow")
class SkeletonWorkflow:
    async def _clock(self, until_step: int) -> None:
        try:
            await workflow.wait_condition(lambda: self.steps >= until_step, timeout=timedelta(days=20))
        except TimeoutError:
            pass

    async def _write(self) -> None:
        if self.write:
            await workflow.execute_local_activity("bench.bare", self.steps, result_type=int,
                                                  start_to_close_timeout=timedelta(seconds=30))

    @workflow.init
    def __init__(self, n: int, write: bool) -> None:
        self.steps = 0
        self.write = write

    @workflow.run
    async def run(self, n: int, write: bool) -> int:
        await self._write()
        clocks = [asyncio.create_task(self._clock(2)), asyncio.create_task(self._clock(SKELETON_STEPS))]
        await asyncio.gather(*clocks)
        await workflow.wait_condition(lambda: self.steps > SKELETON_STEPS)  # open, as a replied case is
        return n

    @workflow.update
    async def step(self) -> int:
        self.steps += 1
        await self._write()
        return self.steps
