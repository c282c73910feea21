"""How workflows call activities: by the activity method itself (typed: its argument and result
are checked, and a rename fails on import, not at run time), as local activities, retried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

A = TypeVar("A")
R = TypeVar("R")

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                    non_retryable_error_types=["InvalidInput", "NotFound"])
LOCAL_ACTIVITIES = "local-activities"  # patch id: cases started before it keep their regular activities
# Patch id of the newest code era (each step of a case one activity: workflows/kit.py). A case
# started in it takes every earlier patch's new path without asking: each patch asked records a
# marker and a search-attribute upsert (a visibility write on the server) in every new case.
ONE_STEP = "one-step"


def patched(patch_id: str) -> bool:
    """`workflow.patched`, answered True without a marker for a case of the newest era (its
    workflow's `folds`, set from ONE_STEP at the start of its run). Cases started before ask, as
    they did when their histories were recorded."""
    return bool(getattr(workflow.instance(), "folds", False)) or workflow.patched(patch_id)


async def call(activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """Run one of our activities. They are short, idempotent SQL writes and calendar arithmetic, so
    they run as local activities: no round trip through the server's task queue and no workflow
    task to take each result back, which cuts a case's history by more than half. Cases whose
    history began before this (no patch marker) replay with regular activities, as recorded."""
    if patched(LOCAL_ACTIVITIES):
        return await workflow.execute_local_activity_method(
            activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY)
    return await workflow.execute_activity_method(
        activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY)
