"""A durable deadline: the workflow-side helper that waits for a clock's due instant, can be
moved while it waits (pause, resume, restart, extension, calendar change) and fires the
ladder's reminders and escalations.

The clock's history (a ClockSpec) lives in workflow state; the calendar arithmetic runs in the
`deadline.schedule` activity, so its result is recorded in history and a later calendar edit
can never break replay. A host workflow runs `deadline.run()` as a task and calls the moves
from its update handlers, then `await deadline.settled()` so the user sees the new state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.deadline import DeadlineActivities
    from contracts.deadline import (
        CALENDAR_CHANGED_SIGNAL,
        RECOMPUTE_UPDATE,
        CloseInput,
        DeadlineRef,
        FireInput,
        Moved,
        Recompute,
        RungAt,
        Schedule,
        ScheduleInput,
    )
    from gongkai.clock import ClockSpec
    from gongkai.errors import PermissionDenied
    from gongkai.failures import to_application_error
    from gongkai.roles import Actor, Role
    from workflows.calls import call, patched

# Patch id: a clock whose schedule can never be computed records why (its host shows it to an
# administrator) instead of leaving its case waiting for it; cases that met such a failure before
# replay as they ran.
CLOCK_FAILURE = "deadline-failure"


class DurableDeadline:
    def __init__(self, ref: DeadlineRef, spec: ClockSpec) -> None:
        self.ref = ref
        self.spec = spec
        self.schedule: Schedule | None = None
        self.version = 0
        self.outcome: str | None = None
        self._moves = 1  # changes made to the spec; the first is the clock's start
        self._recorded = 0  # changes whose schedule has been computed and recorded
        self._reason = ""
        self._actor = "system"
        self._done = False
        self._closed = False
        self._fired: set[tuple[str, str]] = set()
        self.level = 0  # highest escalation level reached
        self.expired = False  # the due instant has passed while the clock was running
        self.failure: str | None = None  # why the latest schedule can never be computed (None: it was)
        # Its host writes its moves and its close with the host's own step (one activity for both);
        # it records them itself only when no step takes them (a move the host awaits on its own).
        self.folded = False
        self._busy = False  # a write of its moves or close is under way (its own, or its host's step)

    # -- moves: pure changes of the spec; the run loop records them ----------------------------
    def _move(self, spec: ClockSpec, reason: str, actor: str) -> None:
        self.spec, self._reason, self._actor = spec, reason, actor
        self._moves += 1

    def pause(self, reason: str = "", actor: str = "system") -> None:
        self._move(self.spec.paused(workflow.now(), reason), reason or "暂停计时", actor)

    def resume(self, actor: str = "system") -> None:
        self._move(self.spec.resumed(workflow.now()), "恢复计时", actor)

    def extend(self, amount: int, reason: str = "", actor: str = "system") -> None:
        self._move(self.spec.extended(amount, workflow.now(), reason), reason or f"延长{amount}", actor)

    def restart(self, reason: str = "", actor: str = "system", at: datetime | None = None) -> None:
        """The period starts again from `at` (now if not given): a corrected application received
        by post counts from the day it arrived, which may be before the day it is recorded."""
        self._move(self.spec.restarted(at or workflow.now(), reason), reason or "重新起算", actor)

    def recalculate(self, reason: str = "节假日安排调整", actor: str = "system") -> None:
        self._move(self.spec, reason, actor)

    def revise(self, spec: ClockSpec, reason: str, actor: str) -> None:
        """The clock's rule changed (an administrator applied a newer version): same start, pauses
        and extensions, the rule's new limit."""
        self._move(spec, reason, actor)

    def finish(self, outcome: str | None = None, actor: str = "system") -> None:
        """Stop the clock: met (or late, decided here) when the awaited action is done, or
        cancelled when it is no longer needed."""
        if self._done:
            return
        if outcome is None:
            due = self.schedule.due_at if self.schedule else None
            outcome = "late" if due is not None and workflow.now() > due else "met"
        self.outcome, self._actor, self._done = outcome, actor, True

    # -- what hosts read -----------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return not self._done

    @property
    def due_at(self) -> datetime | None:
        return self.schedule.due_at if self.schedule else None

    async def settled(self) -> None:
        """Wait until the latest move (or the close) is recorded."""
        await workflow.wait_condition(lambda: not self._dirty and (not self._done or self._closed))

    @property
    def settling(self) -> bool:
        """A move or the close is not yet recorded: the SQL row may lag, legitimately."""
        return self._dirty or (self._done and not self._closed)

    @property
    def busy(self) -> bool:
        """A write of its moves or close is under way."""
        return self._busy

    @property
    def _dirty(self) -> bool:
        return self._recorded < self._moves

    # -- written by the host's step ------------------------------------------------------------------
    def claim(self) -> Claim | None:
        """What the host's step is to write for this clock (its latest move, its close), taken so
        that the clock does not write it too; None if nothing is waiting or a write is under way."""
        if not self.folded or self._busy or not self.settling:
            return None
        schedule = ScheduleInput(self.ref, self.spec, self.version, self._reason, self._actor) if self._dirty else None
        close = None
        if self._done and not self._closed:
            close = CloseInput(self.ref, self.version + (1 if schedule else 0), self.outcome or "met", workflow.now(),
                               self._actor)
        self._busy = True
        return Claim(self, schedule, close, self._moves)

    def written(self, claim: Claim, schedule: Schedule | None) -> None:
        """The host's step wrote what `claim` took (`schedule`: the one it computed)."""
        if claim.schedule is not None:
            assert schedule is not None
            self.schedule, self.failure = schedule, None
            self.version += 1
            self._recorded = claim.moves
        if claim.close is not None:
            self.version += 1
            self._closed = True
        self._busy = False

    def released(self) -> None:
        """The host's step failed without writing: the clock records its moves itself."""
        self._busy = False

    # -- the loop --------------------------------------------------------------------------------
    def _pending(self) -> list[RungAt]:
        if not self.schedule or self.schedule.due_at is None:
            return []
        due = self.schedule.due_at.isoformat()
        return sorted((r for r in self.schedule.rungs if (r.key, due) not in self._fired), key=lambda r: r.at)

    async def _record(self) -> None:
        moves = self._moves
        self._busy = True
        try:
            self.schedule = await call(DeadlineActivities.schedule,
                                       ScheduleInput(self.ref, self.spec, self.version, self._reason, self._actor))
        except (ActivityError, ApplicationError) as exc:
            # A local activity's failure arrives as its ApplicationError, a regular one's as its cause.
            cause = exc.cause if isinstance(exc, ActivityError) else exc
            # Failed for good (a date the calendar cannot count): the move is settled as failed, the
            # last good schedule (if any) stays, and the next move tries again.
            if not (isinstance(cause, ApplicationError) and cause.non_retryable) or not patched(CLOCK_FAILURE):
                raise
            self.failure = cause.message or "期限无法计算"
            self._recorded = moves
            return
        finally:
            self._busy = False
        self.failure = None
        self.version += 1
        self._recorded = moves

    async def _fire_due_rungs(self) -> None:
        """Fire every rung whose instant has come. Of reminders overtaken by a later rung (a
        case registered late), only the latest is sent; escalations are always sent."""
        assert self.schedule and self.schedule.due_at
        now = workflow.now()
        due = self.schedule.due_at
        ready = [r for r in self._pending() if r.at <= now]
        latest = ready[-1] if ready else None
        for rung in ready:
            self._fired.add((rung.key, due.isoformat()))
            self.level = max(self.level, rung.level)
            if rung.level == 0 and rung is not latest:
                continue
            await call(DeadlineActivities.fire, FireInput(self.ref, rung, due, now))

    async def run(self) -> str:
        """Runs until finish(); returns the outcome."""
        while True:
            if self._busy:  # the host's step is writing it
                await workflow.wait_condition(lambda: not self._busy)
                continue
            if self._dirty:
                await self._record()
                continue
            if self._done:
                break
            pending = self._pending()
            if pending and pending[0].at <= workflow.now():
                await self._fire_due_rungs()
                continue
            due = self.schedule.due_at if self.schedule else None
            self.expired = due is not None and workflow.now() >= due
            wake = [r.at for r in pending[:1]] + ([due] if due is not None and not self.expired else [])
            timeout = (min(wake) - workflow.now()) if wake else None
            try:
                await workflow.wait_condition(lambda: self._dirty or self._done, timeout=timeout)
            except TimeoutError:
                pass
        if not self._closed:  # else the host's step closed it
            self._busy = True
            await call(DeadlineActivities.close,
                       CloseInput(self.ref, self.version, self.outcome or "met", workflow.now(), self._actor))
            self.version += 1
            self._closed, self._busy = True, False
        return self.outcome or "met"


@dataclass
class Claim:
    """A clock's writes taken by its host's step: the schedule of its latest move (`moves` of them
    recorded once written) and its close, either or both."""

    deadline: DurableDeadline
    schedule: ScheduleInput | None
    close: CloseInput | None
    moves: int


class DeadlineHost:
    """Base for workflows that own deadlines: moves each open one when the calendar or the rules
    change (gongkai/recompute.py sends the `recompute` update)."""

    def open_deadlines(self) -> list[DurableDeadline]:
        return []

    @workflow.signal(name=CALENDAR_CHANGED_SIGNAL)
    def calendar_changed(self) -> None:
        """The calendar change as sent before the update (histories recorded then replay through it)."""
        for deadline in self.open_deadlines():
            deadline.recalculate()

    @workflow.update(name=RECOMPUTE_UPDATE)
    async def recompute(self, actor: Actor, change: Recompute) -> list[Moved]:
        """Recompute the open clocks (returns once the new due instants are recorded)."""
        return await self.apply_change(actor, change)

    @recompute.validator
    def _may_recompute(self, actor: Actor, change: Recompute) -> None:
        if actor.role != Role.ADMIN:
            raise to_application_error(PermissionDenied("只有系统管理员可以将规则或日历的变化适用于在办案件"))

    async def apply_change(self, actor: Actor, change: Recompute) -> list[Moved]:
        """A calendar change: every open clock recomputed with its reason in the audit. Hosts with
        rules of their own (the case kit) also take a newer version of them."""
        clocks = self.open_deadlines()
        before = {d.ref.deadline_id: d.due_at for d in clocks}
        for d in clocks:
            d.recalculate(change.reason[:200], actor.username)
        for d in clocks:
            await d.settled()
        return moved_clocks(clocks, before)


def moved_clocks(clocks: list[DurableDeadline], before: dict[str, datetime | None],
                 cancelled: frozenset[str] = frozenset()) -> list[Moved]:
    """The clocks whose due instant changed (or that were cancelled), before and after."""
    return [Moved(d.ref.deadline_id, d.ref.rule, d.spec.label or d.ref.rule, before.get(d.ref.deadline_id),
                  None if d.ref.deadline_id in cancelled else d.due_at, d.ref.deadline_id in cancelled)
            for d in clocks if d.ref.deadline_id in cancelled or before.get(d.ref.deadline_id) != d.due_at]
