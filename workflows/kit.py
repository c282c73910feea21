"""The case kit: what every case workflow does the same way, written once.

A process declares its workflow with `@case(WORKFLOW)` on a subclass of
`CaseWorkflow[Input, State, View]` (its state starts as `State.opened(inp)`) and fills in:
`view()` (the state as the outside sees it), `work()` (the tasks it wants on inboxes now),
`open_case()` (its first clocks and projection) and `follow()` (what it waits for until it
closes), with `PROCESS`, `ACTIONS`, `STEP` and `TITLE`. Its user actions are `@action`
updates, its transitions: the process's action table (contracts) decides who may take them in
which stage and what their input must be, and the pages read the same table.

The kit owns the deadlines (starting, moving, finishing them), the projection step (one at a time,
in version order, through the process's step activity: the clocks' moves and closes and the
projection in one transaction, with the inbox task keys chosen here), reconciliation (the
`projection_state` query and `reproject` signal), the rules a case runs by and their changes (the
`recompute` update, also after a calendar change) and the end of `run()`.

A case runs by the RuleBook in its input (the rules version in force when it started; a case started
before versions has none and runs by the shipped national rules). A newer version reaches it only
through `recompute`, which an administrator sends after seeing which deadlines move."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, ClassVar, Generic, Protocol, TypeVar, get_args, get_origin

from temporalio import workflow
from temporalio.converter import value_to_type
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts.case import CaseProjection, CaseStep, LetterSpec, NoticeSpec, StepResult, TaskSpec
    from contracts.deadline import DeadlineRef, Moved, Recompute
    from gongkai.actions import ActionTable
    from gongkai.clock import ClockKind, ClockSpec
    from gongkai.errors import DateOutOfRange, GongkaiError
    from gongkai.failures import to_application_error
    from gongkai.instants import instant_text
    from gongkai.profiles import legacy_book
    from gongkai.reconcile import PROJECTION_QUERY, REPROJECT_SIGNAL, CaseState, DeadlineState, Repair
    from gongkai.roles import Actor, Role
    from gongkai.rules import Rule, RuleBook
    from workflows.calls import ONE_STEP, call, patched
    from workflows.deadline import Claim, DeadlineHost, DurableDeadline, moved_clocks


class Owned(Protocol):
    """What every case's state has: its stage, the department that owns it, and how a case starts."""

    @property
    def stage(self) -> str: ...

    @property
    def department_id(self) -> int: ...

    @classmethod
    def opened(cls, inp: Any) -> Any: ...


In = TypeVar("In")
St = TypeVar("St", bound=Owned)
V = TypeVar("V")
Project = Callable[[Any, CaseProjection], Awaitable["int | None"]]
# Patch id: cases started before the kit keep what they projected before it (their inbox task
# keys; a policy's clocks from when publication was recorded), so reconciliation finds no drift
# in them and their recorded path replays unchanged.
CASE_KIT = "case-kit"
# Patch id: the handling officer is told (a notice) when a draft comes back, an extension is decided;
# cases running before keep the projections they recorded.
OFFICER_NOTICES = "officer-notices"
# Patch id: an action delivered before the case's first projection (with the start, or during it)
# waits for it, so it acts on the opened case: an online request confirmed at once has its
# confirmation clock started and met, not never started. Asked only on that path; a case that took
# it before replays as recorded.
ACTS_ON_OPENED = "acts-on-opened"


@dataclass
class Work:
    """A task a case wants on an inbox now. Its key is the kit's: the same task while it is wanted
    without a break, a new one when it is wanted again later."""

    kind: str  # stage:<what>, unique within the case
    title: str
    department_id: int | None = None
    role: Role | None = None
    assignee_id: int | None = None
    clock: str | None = None  # the deadline whose due instant the task carries


class CaseWorkflow(DeadlineHost, Generic[In, St, V]):
    PROCESS: ClassVar[str]
    ACTIONS: ClassVar[ActionTable[Any]]
    STEP: ClassVar[Callable[[Any, CaseStep], Awaitable[StepResult]]]  # its step (CaseActivities.run_step)
    # The projection alone (CaseActivities.write), for cases started before steps were one activity;
    # a process that had none then has none.
    PROJECT: ClassVar[Project | None] = None
    DUES: ClassVar[dict[str, str]] = {}  # view fields that are a clock's due instant: field -> clock name
    TITLE: ClassVar[str]  # the case as reminders name it, formatted with the input's fields
    STATE: ClassVar[type[Owned]]  # set by @case from the class's CaseWorkflow[Input, State, View]

    def __init__(self, inp: In) -> None:
        # Everything is set here, from the input, before any update runs: the SDK may run one
        # delivered with the start before run().
        self.inp = inp  # read-only: what the case was opened with
        self.state: St = self.STATE.opened(inp)  # everything that changes
        self.version = 0  # projections made; the case row's version
        self.deadlines: dict[str, DurableDeadline] = {}
        self._clocks: list[asyncio.Task[str]] = []
        self._projecting = asyncio.Lock()
        self._projected_tasks: list[str] = []  # the open stage tasks of the last projection
        self._task_since: dict[str, int] = {}  # stage task kind: the version that first wanted it
        self.on_kit = True  # False for a case started before the kit (decided at the start of run)
        self.folds = False  # each step one activity, clocks included (decided at the start of run)
        # The rules it runs by: its input's, until an administrator applies a newer version.
        self.book: RuleBook = getattr(inp, "rules", None) or legacy_book()

    # -- what each process fills in -----------------------------------------------------------------
    def view(self) -> V:
        raise NotImplementedError

    def work(self) -> list[Work]:
        return []

    def legacy_task_key(self, work: Work, since: int) -> str:
        """A task's key as the code before the kit made it, for cases started then."""
        return f"{self.case_id}/{work.kind}/{since}"

    async def open_case(self) -> None:
        """Start the first clocks and make the first projection (`self.project(..., first=True)`)."""
        raise NotImplementedError

    async def follow(self) -> None:
        """Wait, and act on time, until the case is closed."""
        raise NotImplementedError

    async def restore_row(self) -> None:
        """Write the case row again when reconciliation found it missing (before re-projecting)."""

    # -- what every case is ------------------------------------------------------------------------
    @property
    def case_id(self) -> str:
        return workflow.info().workflow_id  # the business key (DR-2026-000123) is the workflow id

    def title(self) -> str:
        return self.TITLE.format_map(vars(self.inp))

    def owner(self) -> tuple[int | None, int | None]:
        """(department, assignee) the case's clocks remind."""
        return self.state.department_id, getattr(self.state, "assignee_id", None)

    def tell_officer(self, what: str, title: str, body: str, *, username: str = "") -> list[NoticeSpec]:
        """A notice for the case's handling officer (its assignee; `username`'s account; else the
        owning department's officers), for the projection that records `what` happened."""
        if not patched(OFFICER_NOTICES):
            return []
        department, assignee = self.owner()
        return [NoticeSpec(f"{self.case_id}/{what}/{workflow.now().isoformat()}", "assignee", department,
                           f"{title}{self.title()}"[:200], body[:1000], assignee_id=assignee, username=username)]

    # -- the run ---------------------------------------------------------------------------------------
    # `run` and the `state` query are made by @case on each process's class, typed with its input and view.
    async def run(self, inp: Any) -> str:
        raise NotImplementedError

    def current(self) -> Any:
        raise NotImplementedError

    async def run_case(self) -> str:
        # ONE_STEP first: a case of that era asks no earlier patch (workflows/calls.patched). Its
        # clocks' moves and closes are written with the projection (and a disclosure request's row
        # with its first step); cases started before write their clocks one activity each, then the
        # projection, as recorded.
        self.folds = workflow.patched(ONE_STEP)
        self.on_kit = patched(CASE_KIT)
        await self.open_case()
        await self.follow()
        for d in self.open_deadlines():
            d.finish("cancelled")
        await self.settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return str(self.state.stage)

    # -- deadlines ---------------------------------------------------------------------------------
    def start_deadline(self, name: str, rule: str, start: datetime, *, amount: int | None = None,
                       key: str | None = None) -> DurableDeadline:
        """A clock of `rule` from `start`, kept as `name` (`key`: its id within the case, when a
        clock of that name can run more than once)."""
        r = self.book.rule(rule)
        department, assignee = self.owner()
        ref = DeadlineRef(f"{self.case_id}/{key or name}", self.case_id, workflow.info().workflow_id, self.PROCESS,
                          rule, self.title(), region=self.book.region, department_id=department,
                          assignee_id=assignee, profile=self.book.profile, rules_version=self.book.version)
        deadline = DurableDeadline(ref, ClockSpec(kind=ClockKind(r.kind), amount=r.amount if amount is None else amount,
                                                  start=start, rule=rule, label=r.label, source=r.source,
                                                  version=self.book.version, note=r.note))
        deadline.folded = self.folds
        self.deadlines[name] = deadline
        self._clocks.append(asyncio.create_task(deadline.run()))
        return deadline

    def deadline(self, name: str) -> DurableDeadline | None:
        """The clock `name` if it runs."""
        d = self.deadlines.get(name)
        return d if d is not None and d.is_open else None

    def open_deadlines(self) -> list[DurableDeadline]:
        return [d for d in self.deadlines.values() if d.is_open]

    def finish(self, name: str, outcome: str | None = None, actor: str = "system") -> None:
        d = self.deadline(name)
        if d is not None:
            d.finish(outcome, actor)

    def finish_at(self, name: str, at: datetime, actor: str) -> str | None:
        """Stop the clock `name` as done at `at` (which may be earlier than now: the act is judged
        by when it happened, not when it was recorded). The outcome, or None if it was not running."""
        d = self.deadline(name)
        if d is None:
            return None
        outcome = "late" if d.due_at is not None and at > d.due_at else "met"
        d.finish(outcome, actor)
        return outcome

    def move_deadlines(self, recalculate: str | None = None) -> None:
        """The case changed hands: its open clocks now remind the new owner (`recalculate`: also
        write their rows again, with this reason in the audit)."""
        department, assignee = self.owner()
        for d in self.open_deadlines():
            d.ref.department_id, d.ref.assignee_id = department, assignee
            if recalculate:
                d.recalculate(recalculate[:200])

    async def settle(self) -> None:
        """Wait until every clock's moves and close are recorded: for a case that folds them, those
        waiting written in one activity (a clock that cannot be computed records itself, and why)."""
        if self.folds:
            await self._write_clocks()
        for d in list(self.deadlines.values()):
            await d.settled()

    async def _write_clocks(self) -> None:
        claims = await self._claims()
        if claims:
            await self._run_step(claims)

    async def _claims(self) -> list[Claim]:
        """The clocks' waiting writes, taken for a step (after any clock writing itself is done)."""
        while any(d.busy for d in self.deadlines.values()):
            await workflow.wait_condition(lambda: not any(d.busy for d in self.deadlines.values()))
        return [c for d in self.deadlines.values() if (c := d.claim()) is not None]

    async def _run_step(self, claims: list[Claim], projection: CaseProjection | None = None,
                        dues: dict[str, str] | None = None, opening: Any = None) -> StepResult | None:
        """The step activity with `claims` and the projection; None when a clock can never be
        computed (nothing was written, and each clock's writes are its own again: it records them,
        and why it failed, for an administrator's task)."""
        try:
            result = await call(type(self).STEP, CaseStep(
                projection, [c.schedule for c in claims if c.schedule is not None],
                [c.close for c in claims if c.close is not None], dues or {}, opening))
        except (ActivityError, ApplicationError) as exc:
            for c in claims:  # nothing was written
                c.deadline.released()
            cause = exc.cause if isinstance(exc, ActivityError) else exc
            if isinstance(cause, ApplicationError) and cause.type == DateOutOfRange.code \
                    and any(c.schedule is not None for c in claims):
                return None
            raise
        computed = iter(result.schedules)
        for c in claims:
            c.deadline.written(c, next(computed) if c.schedule is not None else None)
        return result

    # -- rule and calendar changes -----------------------------------------------------------------
    async def apply_change(self, actor: Actor, change: Recompute) -> list[Moved]:
        """Move the open clocks to a newer version of the rules (`change.book`) or to the changed
        calendar (no book): each recomputed with an audit entry naming why, the assignee told of
        what moved. A version the case already runs by changes nothing, so a second apply is harmless."""
        book = change.book
        if book is not None and book.profile == self.book.profile and book.version <= self.book.version:
            return []
        await self.settle()
        before = {d.ref.deadline_id: d.due_at for d in self.open_deadlines()}
        clocks = self.open_deadlines()
        cancelled: list[str] = []
        if book is None:
            for d in clocks:
                d.recalculate(change.reason[:200], actor.username)
        else:
            rules = {n: book.rules[n] for n in self.book.rules if n in book.rules}
            for d in clocks:
                old, new = self.book.rules.get(d.ref.rule), rules.get(d.ref.rule)
                if old is None or new is None or old.terms() == new.terms():
                    d.ref.profile, d.ref.rules_version = book.profile, book.version
                    continue
                d.ref.profile, d.ref.rules_version, d.ref.region = book.profile, book.version, book.region
                if not new.applies:
                    d.finish("cancelled", actor.username)
                    cancelled.append(d.ref.deadline_id)
                    continue
                why = f"适用规则第 {book.version} 版：{change.reason}"[:200]
                d.revise(_revised(d.spec, old, new, book.version), why, actor.username)
            self.book = RuleBook(book.profile, book.version, book.region, {**self.book.rules, **rules})
        await self.settle()
        moved = moved_clocks(clocks, before, frozenset(cancelled))
        if book is not None or moved:
            lines = "；".join(_moved_text(m) for m in moved) or "各项期限不变"
            what = f"适用规则第 {book.version} 版" if book is not None else "按调整后的工作日历重新计算期限"
            summary = f"{what}（{change.reason}）：{lines}"[:480]
            notices = self.tell_officer(f"recompute/{book.version if book else 'calendar'}", "【期限调整】",
                                        summary) if moved else []
            await self.project(actor.username, "rules_applied" if book is not None else "calendar_applied",
                               summary, notices=notices)
        return moved

    # -- projection --------------------------------------------------------------------------------
    async def project(self, actor: str, action: str, summary: str, *, letters: Sequence[LetterSpec] = (),
                      notices: Sequence[NoticeSpec] = (), detail: dict[str, Any] | None = None,
                      first: bool = False, opening: Any = None) -> V:
        """Record the new state: deadlines first (so tasks carry their due), then SQL, in one step
        (one activity) for a case that folds them. `first`: the case's first projection (open_case
        makes it, with the row's `opening` if the process sends one); any other that comes before it
        waits for it."""
        if not first and self.version == 0:
            await workflow.wait_condition(lambda: self.version > 0)
        async with self._projecting:  # one projection at a time, in version order
            if self.folds:
                return await self._step(actor, action, summary, letters, notices, detail, opening)
            project = type(self).PROJECT
            assert project is not None, f"{self.PROCESS} has no projection of its own: its cases step"
            await self.settle()
            self.version += 1
            view = self.view()
            tasks = self._tasks()
            await call(project, self._projection(view, tasks, actor, action, summary, letters, notices,
                                                            detail))
            self._projected_tasks = [t.key for t in tasks]
        return view

    def _projection(self, view: V, tasks: list[TaskSpec], actor: str, action: str, summary: str,
                    letters: Sequence[LetterSpec], notices: Sequence[NoticeSpec],
                    detail: dict[str, Any] | None) -> CaseProjection:
        return CaseProjection(
            self.case_id, workflow.info().workflow_id, self.version, dataclasses.asdict(view),  # type: ignore[arg-type]
            actor, action, summary, workflow.now(), {k: str(v) for k, v in (detail or {}).items()},
            tasks, list(letters), list(notices))

    async def _step(self, actor: str, action: str, summary: str, letters: Sequence[LetterSpec],
                    notices: Sequence[NoticeSpec], detail: dict[str, Any] | None, opening: Any) -> V:
        """The step as one activity: the clocks' waiting moves and closes, then the projection."""
        claims = await self._claims()  # a clock writing itself is done first: tasks carry its due
        scheduled = {c.deadline.ref.deadline_id for c in claims if c.schedule is not None}
        self.version += 1
        view = self.view()
        tasks = self._tasks(scheduled)
        dues = {name: d.ref.deadline_id for name, clock in self.DUES.items()
                if (d := self.deadlines.get(clock)) is not None and d.ref.deadline_id in scheduled}
        projection = self._projection(view, tasks, actor, action, summary, letters, notices, detail)
        if await self._run_step(claims, projection, dues, opening) is None:
            self.version -= 1  # each clock has recorded itself: the step again, without them
            for d in list(self.deadlines.values()):
                await d.settled()
            return await self._step(actor, action, summary, letters, notices, detail, opening)
        self._projected_tasks = [t.key for t in tasks]
        for name in dues:  # the view as written: with the due instants just computed
            setattr(view, name, self.deadlines[self.DUES[name]].due_at)
        return view

    def _failed_clocks(self) -> list[Work]:
        """A clock that can never be computed is an administrator's task: the case goes on, visibly."""
        failed = [d for d in self.open_deadlines() if d.failure]
        if not failed:
            return []
        labels = "、".join(d.spec.label or d.ref.rule for d in failed)
        return [Work("stage:clock_failed", f"【系统错误】{self.title()}：{labels}无法计算。{failed[0].failure}",
                     None, Role.ADMIN)]

    def _tasks(self, scheduled: frozenset[str] | set[str] = frozenset()) -> list[TaskSpec]:
        """The open stage tasks; a task waiting on a clock in `scheduled` (its due computed by the
        same step) names it, and takes its due there."""
        wanted = [*self.work(), *self._failed_clocks()]
        since = {w.kind: self._task_since.get(w.kind, self.version) for w in wanted}
        assert len(since) == len(wanted), "a case's stage tasks need distinct kinds"
        self._task_since = since
        out = []
        for w in wanted:
            clock = self.deadline(w.clock) if w.clock else None
            due = clock.due_at if clock is not None else None
            deadline_id = clock.ref.deadline_id if clock is not None and (
                due is not None or clock.ref.deadline_id in scheduled) else None
            key = f"{self.case_id}/{w.kind}/{since[w.kind]}" if self.on_kit else self.legacy_task_key(w, since[w.kind])
            out.append(TaskSpec(key, w.kind, w.title[:200], w.department_id, w.role, w.assignee_id, deadline_id, due))
        return out

    def letter(self, kind: str, title: str) -> LetterSpec:
        """A letter of the coming projection, rendered from the case when it is written."""
        return LetterSpec(f"{self.case_id}/letter:{kind}/{self.version + 1}", kind, title)

    def snapshot(self) -> dict[str, Any]:
        """The state's fields, copied, to build the view from."""
        return {f.name: copy.deepcopy(getattr(self.state, f.name)) for f in dataclasses.fields(self.state)}  # type: ignore[arg-type]


    # -- reconciliation --------------------------------------------------------------------------------
    @workflow.query(name=PROJECTION_QUERY)
    def projection_state(self) -> CaseState:
        """What the last projection wrote, for the reconciliation job to compare with SQL."""
        return CaseState(
            self.case_id, self.PROCESS, str(self.state.stage), self.version, list(self._projected_tasks),
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
            await self.restore_row()
        await self.project("system", "reconciled", f"对账修复：{repair.reason}"[:480])


def _revised(spec: ClockSpec, old: Rule, new: Rule, version: int) -> ClockSpec:
    """A clock's spec under a rule's new terms. A limit the case chose itself (an applicant's
    correction period) is not the rule's, and stays."""
    amount = new.amount if spec.amount == old.amount else spec.amount
    return dataclasses.replace(spec, kind=ClockKind(new.kind), amount=amount, label=new.label, source=new.source,
                               version=version, note=new.note)


def _moved_text(m: Moved) -> str:
    if m.cancelled:
        return f"{m.label}不再适用，计时撤销"
    return f"{m.label} {_due(m.due_from)} → {_due(m.due_to)}"


def _due(at: datetime | None) -> str:
    return instant_text(at) if at is not None else "暂停中"


W = TypeVar("W", bound=CaseWorkflow[Any, Any, Any])


def case(name: str) -> Callable[[type[W]], type[W]]:
    """Declare a case workflow by its Temporal type name. The SDK wants `@workflow.init __init__`,
    `@workflow.run run` and the typed `state` query on the class itself, typed with the process's
    input and view: they are the same for every case, so they are made here, from the class's
    `CaseWorkflow[Input, State, View]` base."""

    def decorate(cls: type[W]) -> type[W]:
        base = next(b for b in getattr(cls, "__orig_bases__", ()) if get_origin(b) is CaseWorkflow)
        input_type, state_type, view_type = get_args(base)
        cls.STATE = state_type

        def __init__(self: CaseWorkflow[Any, Any, Any], inp: Any) -> None:
            CaseWorkflow.__init__(self, inp)

        async def run(self: CaseWorkflow[Any, Any, Any], inp: Any) -> str:
            return await self.run_case()

        def current(self: CaseWorkflow[Any, Any, Any]) -> Any:
            return self.view()

        for fn, hints in ((__init__, {"inp": input_type, "return": None}),
                          (run, {"inp": input_type, "return": str}), (current, {"return": view_type})):
            fn.__annotations__ = hints
            fn.__module__, fn.__qualname__ = cls.__module__, f"{cls.__name__}.{fn.__name__}"
        cls.__init__ = workflow.init(__init__)
        cls.run = workflow.run(run)
        cls.current = workflow.query(name="state")(current)
        return workflow.defn(name=name)(cls)

    return decorate


def _typed(fn: Callable[..., Awaitable[Any]]) -> Callable[[Any, tuple[Any, ...]], tuple[Actor, tuple[Any, ...]]]:
    """The SDK decodes an update's arguments by the handler's types only when all of them came: one
    sent without a new optional trailing argument (by a client, or in a history recorded before the
    argument existed) arrives as plain JSON. Those are typed here, by the same hints."""
    names = list(inspect.signature(fn).parameters)[1:]  # without self

    def typed(actor: Any, args: tuple[Any, ...]) -> tuple[Actor, tuple[Any, ...]]:
        if isinstance(actor, Actor):
            return actor, args
        hints = typing.get_type_hints(fn)
        values = [value_to_type(hints[n], v) for n, v in zip(names, (actor, *args), strict=False)]
        return values[0], tuple(values[1:])

    return typed


def action(fn: Callable[..., Awaitable[Any]]) -> Any:
    """A user's action on the case, as an update named after the method. Its validator asks the
    process's action table whether the actor may take it now and whether its input is acceptable;
    a refusal writes nothing. Domain errors raised by either become the update's failure, with their
    code, message and field."""
    name = fn.__name__
    typed = _typed(fn)

    def allowed(self: CaseWorkflow[Any, Any, Any], actor: Actor, args: tuple[Any, ...]) -> None:
        """The action table's answer for the case as it is now."""
        self.ACTIONS.validate(name, self.view(), actor, workflow.now(), *args)

    @wraps(fn)
    async def handler(self: CaseWorkflow[Any, Any, Any], actor: Actor, *args: Any) -> Any:
        actor, args = typed(actor, args)
        try:
            if self.version == 0 and workflow.patched(ACTS_ON_OPENED):
                await workflow.wait_condition(lambda: self.version > 0)
                allowed(self, actor, args)  # asked again, of the case as opened
            return await fn(self, actor, *args)
        except GongkaiError as exc:
            raise to_application_error(exc) from None

    @wraps(fn)  # the SDK wants the validator's parameters to be the update's
    def validate(self: CaseWorkflow[Any, Any, Any], actor: Actor, *args: Any) -> None:
        actor, args = typed(actor, args)
        try:
            allowed(self, actor, args)
        except GongkaiError as exc:
            raise to_application_error(exc) from None

    update = workflow.update(name=name)(handler)
    update.validator(validate)
    return update
