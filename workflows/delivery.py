"""One message to one receiver: wait for its release (a day clock's message waits out quiet
hours), send it with retries and backoff, and when the channel keeps failing give up on it, which
reports the channel and hands the message to the next channel (each a delivery of its own)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.delivery import SEND_TIMEOUT, DeliveryActivities
    from contracts.delivery import WORKFLOW, DeliveryInput, GiveUpInput, SendInput
    from workflows.calls import ACTIVITY_TIMEOUT, RETRY

MAX_BACKOFF = timedelta(minutes=5)


@workflow.defn(name=WORKFLOW)
class DeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliveryInput) -> str:
        wait = inp.release_at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        try:
            return await workflow.execute_activity_method(
                DeliveryActivities.send, SendInput(inp.key, workflow.now()), start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=inp.retry_seconds), backoff_coefficient=2,
                                         maximum_interval=MAX_BACKOFF, maximum_attempts=max(inp.attempts, 1)))
        except ActivityError as exc:
            cause = exc.cause
            reason = cause.message if isinstance(cause, ApplicationError) and cause.message else "发送失败"
        await workflow.execute_activity_method(
            DeliveryActivities.give_up, GiveUpInput(inp.key, reason, workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY)
        return "failed"
