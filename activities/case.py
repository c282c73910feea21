"""The one projection of a case into SQL, for every process: the case row from the process's view,
the audit entry, the open stage tasks, letters and notifications, idempotent by (case, version) so
a retried or reordered write never rolls the row back. A new letter may also send messages outside
the app (`letter_messages`): planned in the same transaction, started once it is committed.

A case's step is one transaction (`run_step`, `<process>.step`): the row created when the step
opens the case, the clocks that moved scheduled and those that ended closed, then the projection,
so a case costs one activity per step. Cases started before that write the projection alone
(`write`, `<process>.project`) after their clocks recorded themselves.

A process's activities subclass CaseActivities: they name the row's model and view, map the view
to the row's columns, and register `run_step` and `write` under the process's activity names
(`<process>.step`, `<process>.project`: the names are what recorded histories replay against)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.converter import value_to_type

from activities.deadline import recipients, write_close, write_schedule
from activities.delivery import WAITING, Outbox, plan, start_deliveries
from activities.store import insert_once, sync_stage_tasks, update_if_older
from contracts.case import CaseProjection, CaseStep, LetterSpec, NoticeSpec, StepResult
from contracts.deadline import Schedule
from gongkai.clock import start_of_day
from gongkai.logs import bind, get_logger
from models import AuditEvent, Delivery, Letter, Notification, User

log = get_logger(__name__)
SUMMARY_LIMIT = 500  # the audit entry's column


class CaseActivities:
    PROCESS: ClassVar[str]
    MODEL: ClassVar[Any]  # the case row's table
    VIEW: ClassVar[type]  # the process's view dataclass, as the workflow sends it
    CREATES_ROW: ClassVar[bool] = True  # False: the row is created first by an intake activity

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox | None = None) -> None:
        self.session_factory = session_factory
        self.outbox = outbox  # how messages outside the app go (None: as the settings say)

    # -- what each process fills in -------------------------------------------------------------------
    def row(self, view: Any) -> dict[str, Any]:
        """The case row's columns from the view (the `state` column takes the view itself)."""
        raise NotImplementedError

    async def issue_letter(self, session: AsyncSession, p: CaseProjection, view: Any, letter: LetterSpec
                           ) -> dict[str, Any]:
        """A new letter's columns as issued (its body, and its 文号 and seal if the process numbers
        its letters), in the projection's transaction."""
        raise NotImplementedError(f"{self.PROCESS} writes no letters")

    async def open_row(self, session: AsyncSession, opening: Any) -> None:
        """Create the case row from the process's intake (`CaseStep.opening`), unless it exists, in
        the first step's transaction; only processes whose row carries an intake send one."""
        raise NotImplementedError(f"{self.PROCESS} opens no row")

    async def write_more(self, session: AsyncSession, p: CaseProjection, view: Any) -> None:
        """Rows of the process's own that the view implies (files of a corrected application or of the
        reply), in the projection's transaction, only for the newest version; none by default."""

    async def letter_messages(self, session: AsyncSession, p: CaseProjection, view: Any, letter: LetterSpec
                              ) -> list[Delivery]:
        """The messages outside the app a letter sends when it is first written (the applicant's
        e-mail), keyed `<letter key>/…`, in the projection's transaction; none by default."""
        return []

    # -- the projection --------------------------------------------------------------------------------
    async def write(self, p: CaseProjection) -> int | None:
        """The projection alone (cases whose clocks record themselves). Returns how many
        notifications were created (0 on a retry or an overtaken state). The result is None in
        histories recorded before the kit, hence the optional."""
        return (await self.run_step(CaseStep(p))).created

    async def run_step(self, step: CaseStep) -> StepResult:
        """A step in one transaction: the row created if it opens the case, the clocks scheduled and
        closed, then the projection; a retry computes the same schedules and writes nothing twice."""
        p = step.projection
        created, messages = 0, []
        async with self.session_factory() as session:
            if p is None:
                return StepResult(_for_history(await self._clocks(session, step)), 0)
            bind(case_id=p.case_id, workflow_id=p.workflow_id, actor=p.actor)
            if step.opening is not None:
                await self.open_row(session, step.opening)
            schedules = await _write_clocks(session, step)
            _carry_dues(step, p, schedules)
            view = value_to_type(self.VIEW, p.view)
            values = {**self.row(view), "state": p.view, "updated_at": p.at}
            if not await update_if_older(session, self.MODEL, p.case_id, p.version, values):
                if not await self._insert(session, p, values):
                    unsent = await self._unsent(session, p)
                    await session.rollback()
                    await self._start(unsent)  # an attempt that committed and died before starting them
                    return StepResult(_for_history(schedules), 0)  # already applied (a retry), or overtaken
            await insert_once(session, AuditEvent(key=f"{p.case_id}/v{p.version}", case_id=p.case_id, actor=p.actor,
                                                  action=p.action, summary=p.summary[:SUMMARY_LIMIT],
                                                  detail=p.detail, at=p.at))
            await sync_stage_tasks(session, p.case_id, p.workflow_id, self.PROCESS, p.tasks, p.at)
            await self.write_more(session, p, view)
            for letter in p.letters:
                # The row first: only a letter new to the table is issued, so a retried or
                # concurrent projection never takes a second 文号 for it.
                if await insert_once(session, Letter(key=letter.key, case_id=p.case_id, kind=letter.kind,
                                                     title=letter.title, body=letter.body, public=letter.public,
                                                     created_by=p.actor)) and not letter.body:
                    issued = await self.issue_letter(session, p, view, letter)
                    await session.execute(update(Letter).where(col(Letter.key) == letter.key).values(**issued))
                    messages += await self.letter_messages(session, p, view, letter)
            for notice in p.notices:
                for uid in await _notice_recipients(session, notice):
                    created += await insert_once(session, Notification(
                        key=f"{notice.key}/{uid}", user_id=uid, case_id=p.case_id, level=notice.level,
                        title=notice.title[:200], body=notice.body[:1000]))
            waiting = await plan(session, messages)
            await session.commit()
        await self._start(waiting)
        log.info("case_projected", process=self.PROCESS, action=p.action, version=p.version, notifications=created,
                 messages=len(waiting), clocks=len(step.schedules) + len(step.closes))
        return StepResult(_for_history(schedules), created)

    async def _clocks(self, session: AsyncSession, step: CaseStep) -> list[Schedule]:
        """The clocks alone, committed."""
        refs = [x.ref for x in (*step.schedules, *step.closes)]
        if refs:
            bind(case_id=refs[0].case_id, workflow_id=refs[0].workflow_id)
        schedules = await _write_clocks(session, step)
        await session.commit()
        log.info("case_clocks_written", process=self.PROCESS, clocks=len(step.schedules) + len(step.closes))
        return schedules

    async def _unsent(self, session: AsyncSession, p: CaseProjection) -> list[tuple[str, datetime]]:
        """The messages of this projection's letters still to be sent."""
        if not p.letters:
            return []
        rows = await session.execute(select(Delivery.key, Delivery.release_at).where(
            or_(*(col(Delivery.key).startswith(f"{letter.key}/", autoescape=True) for letter in p.letters)),
            col(Delivery.status).in_(WAITING)))
        return [(k, at) for k, at in rows.all()]

    async def _start(self, waiting: list[tuple[str, datetime]]) -> None:
        """A delivery workflow for each message (one that exists is left alone), on this worker's
        queue. Called outside a worker (a test, a benchmark), nothing can start them: they wait."""
        if not waiting:
            return
        if not activity.in_activity():
            log.warning("deliveries_not_started", messages=len(waiting))
            return
        await start_deliveries(self.outbox or Outbox.of(), waiting)

    async def _insert(self, session: AsyncSession, p: CaseProjection, values: dict[str, Any]) -> bool:
        """The row's first version, unless it exists (then the write was a retry or overtaken)."""
        model = self.MODEL
        if self.CREATES_ROW:
            return await insert_once(session, model(id=p.case_id, version=p.version, **values), on="id")
        if (await session.execute(select(model.version).where(model.id == p.case_id))).first() is None:
            raise RuntimeError(f"{self.PROCESS} {p.case_id} not created yet")  # retried; reconciliation restores it
        return False


def _for_history(schedules: list[Schedule]) -> list[Schedule]:
    """The schedules as the workflow keeps them: without their explanation, which SQL has and the
    workflow never reads (every byte of a result is kept in the case's history)."""
    return [replace(s, explanation=[]) for s in schedules]


async def _write_clocks(session: AsyncSession, step: CaseStep) -> list[Schedule]:
    """The step's clocks scheduled and closed in the caller's transaction."""
    schedules = [await write_schedule(session, s) for s in step.schedules]
    for close in step.closes:
        await write_close(session, close)
    return schedules


def _carry_dues(step: CaseStep, p: CaseProjection, schedules: list[Schedule]) -> None:
    """The due instants just computed, into the tasks and view fields waiting on them (a paused
    clock's task carries no clock, as when it was scheduled before the projection)."""
    due = {s.ref.deadline_id: sc.due_at for s, sc in zip(step.schedules, schedules, strict=True)}
    for task in p.tasks:
        if task.deadline_id in due:
            task.due_at = due[task.deadline_id]
            if task.due_at is None:
                task.deadline_id = None
    for name, deadline_id in step.dues.items():
        if deadline_id in due:
            at = due[deadline_id]
            p.view[name] = at.isoformat() if at is not None else None


async def _notice_recipients(session: AsyncSession, notice: NoticeSpec) -> list[int]:
    """Who a notice reaches: the account it names by login if active, else its audience."""
    if notice.username:
        uid = (await session.execute(select(User.id).where(
            col(User.username) == notice.username, col(User.active)))).scalar_one_or_none()
        if uid is not None:
            return [uid]
    return await recipients(session, notice.to, notice.department_id, notice.assignee_id)


def day_start(value: str | None) -> datetime | None:
    """An ISO date as the instant its day begins in Beijing (for datetime columns)."""
    return start_of_day(date.fromisoformat(value)) if value else None


def iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
