"""Deadline activities: calendar arithmetic whose result is recorded in workflow history, and
the idempotent projection of deadlines, reminders and escalations into SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.delivery import Outbox, group_channels, plan, start_deliveries, with_email
from activities.store import insert_once, lock_if_older, update_if_older
from contracts.deadline import CloseInput, DeadlineRef, FireInput, RungAt, Schedule, ScheduleInput
from gongkai.calendar_store import load_calendar
from gongkai.channels import ChannelKind
from gongkai.clock import CST, ClockSpec, Due, compute, local_date
from gongkai.errors import DateOutOfRange
from gongkai.explain import explain
from gongkai.failures import to_application_error
from gongkai.instants import deadline_text, instant_text, overdue_text
from gongkai.logs import bind, get_logger
from gongkai.paths import case_url
from gongkai.recompute import spec_json
from gongkai.routing import channels_for, keeps_quiet, message_text, release_at
from gongkai.rule_store import rule_at
from gongkai.rules import AUDIENCE_ZH, Rule, Rung
from gongkai.workdays import FIRST_YEAR, LAST_YEAR, WorkdayCalendar, supported
from models import AuditEvent, Deadline, Delivery, Department, Notification, Role, Task, User
from models.accounts import DepartmentKind

log = get_logger(__name__)
LATE = timedelta(minutes=1)  # a rung sent this long after its instant says the time it is sent


def _fmt(at: datetime | None) -> str:
    return instant_text(at)


async def recipients(session: AsyncSession, to: str, department_id: int | None,
                     assignee_id: int | None = None) -> list[int]:
    """The active accounts a ladder audience means, for a case of `department_id`."""
    q = select(User.id).where(User.active)
    if to == "assignee":
        if assignee_id is not None:
            return [assignee_id]
        q = q.where(User.department_id == department_id, User.role == Role.OFFICER)
    elif to == "department":
        q = q.where(User.department_id == department_id, col(User.role).in_((Role.OFFICER, Role.DEPT_HEAD)))
    elif to == "department_head":
        q = q.where(User.department_id == department_id, User.role == Role.DEPT_HEAD)
    elif to == "office_head":
        q = q.join(Department, col(Department.id) == col(User.department_id)).where(
            User.role == Role.OFFICE_HEAD, Department.kind == DepartmentKind.OPENNESS_OFFICE)
    elif to == "supervisor":
        q = q.where(User.role == Role.SUPERVISOR)
    elif to == "principal_head":
        principals = [uid for (uid,) in (await session.execute(
            q.where(User.role == Role.PRINCIPAL_HEAD).order_by(col(User.id)))).all()]
        if principals:
            return principals
        q = q.where(User.role == Role.LEADER)  # no principal head configured: never drop an escalation
    elif to == "leader":
        q = q.where(User.role == Role.LEADER)
    return [uid for (uid,) in (await session.execute(q.order_by(col(User.id)))).all()]


def _arithmetic(spec: ClockSpec, cal: WorkdayCalendar, rule: Rule) -> tuple[Due, list[str], list[RungAt]]:
    """The due instant, its explanation and the ladder's instants. A clock that starts or ends
    outside the calendar's years (or beyond what a date can hold: year 1, year 9999) fails the same
    way on every attempt, so it fails once, non-retryable, and the workflow shows it to an
    administrator instead of retrying for ever."""
    try:
        due = compute(spec, cal)
        lines = explain(due, "zh")
        rungs = [] if due.due_at is None else \
            [RungAt(r.key, r.to, r.level, r.task, r.instant(due, cal)) for r in rule.ladder]
        if not all(supported(local_date(at)) for at in (due.due_at, *(r.at for r in rungs)) if at is not None):
            raise ValueError("a due instant outside the calendar's years")
    except (OverflowError, ValueError) as exc:
        log.warning("deadline_unschedulable", error=str(exc)[:200])
        raise to_application_error(DateOutOfRange(
            f"起算或到期日期超出工作日历可计算的范围（{FIRST_YEAR}年至{LAST_YEAR}年），请核对日期")) from None
    return due, lines, rungs


async def write_schedule(session: AsyncSession, data: ScheduleInput) -> Schedule:
    """A clock's schedule computed and written in the caller's transaction: its row (new, or moved
    if older), the audit entry when it is set or its due instant moves, its open tasks' due."""
    ref = data.ref
    rule = await rule_at(session, ref.profile, ref.rules_version, ref.rule)
    cal = await load_calendar(session, ref.region)
    due, lines, rungs = _arithmetic(data.spec, cal, rule)
    state = "paused" if due.paused else "running"
    values = {
        "amount": due.total, "state": state, "due_at": due.due_at, "start_at": data.spec.effective_start,
        "last_day": due.last_day, "provisional": due.provisional, "explanation": lines,
        "department_id": ref.department_id, "assignee_id": ref.assignee_id,
        "spec": {"kind": due.kind.value, "amount": data.spec.amount, "total": due.total,
                 # What a preview of a rule change recomputes from (gongkai/recompute.py).
                 "clock": spec_json(data.spec), "profile": ref.profile, "rules_version": ref.rules_version},
        "updated_at": datetime.now(tz=CST),
    }
    first = moved = False
    previous = None
    # A clock's first schedule (version 0) can find no older row to move: it is inserted, or is a retry.
    if data.version > 0 and await lock_if_older(session, Deadline, ref.deadline_id, data.version):
        previous = (await session.execute(select(Deadline.due_at).where(
            Deadline.id == ref.deadline_id))).scalar_one()
        moved = previous != due.due_at
        applied = await update_if_older(session, Deadline, ref.deadline_id, data.version, values)
    else:  # new, or already applied (a retry), or overtaken by a newer schedule
        first = applied = await insert_once(session, Deadline(
            id=ref.deadline_id, case_id=ref.case_id, workflow_id=ref.workflow_id, process=ref.process,
            rule=ref.rule, label=rule.label, kind=due.kind.value, version=data.version, **values,
        ), on="id")
    if applied:
        if first or moved:
            what = "设立" if first else "调整"
            await insert_once(session, AuditEvent(
                key=f"{ref.deadline_id}/v{data.version}", case_id=ref.case_id, actor=data.actor,
                action="deadline_set" if not moved else "deadline_moved",
                summary=f"{what}{rule.label}：{_fmt(previous) + ' → ' if moved else ''}{_fmt(due.due_at)}"
                + (f"（{data.reason}）" if data.reason else "") + ("（暂停中）" if due.paused else "")
                + ("（暂定）" if due.provisional else ""),
                detail={"deadline_id": ref.deadline_id, "from": previous.isoformat() if previous else None,
                        "to": due.due_at.isoformat() if due.due_at else None, "reason": data.reason,
                        "version": data.version},
            ))
        # Tasks waiting on this deadline sort by its current due instant (a new clock has none yet).
        if data.version > 0:
            await session.execute(update(Task).where(
                col(Task.deadline_id) == ref.deadline_id, col(Task.status) == "open",
                col(Task.kind).not_like("escalation:%")).values(due_at=due.due_at))
    return Schedule(
        due_at=due.due_at, last_day=due.last_day.isoformat() if due.last_day else None, paused=due.paused,
        provisional=due.provisional, rungs=rungs, explanation=lines,
    )


class DeadlineActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox | None = None) -> None:
        self.session_factory = session_factory
        self.outbox = outbox or Outbox.of()

    @activity.defn(name="deadline.schedule")
    async def schedule(self, data: ScheduleInput) -> Schedule:
        ref = data.ref
        bind(case_id=ref.case_id, workflow_id=ref.workflow_id, deadline_id=ref.deadline_id)
        async with self.session_factory() as session:
            result = await write_schedule(session, data)
            await session.commit()
        log.info("deadline_scheduled", due_at=str(result.due_at), paused=result.paused, version=data.version)
        return result

    async def _recipients(self, session: AsyncSession, ref: DeadlineRef, to: str) -> list[int]:
        return await recipients(session, to, ref.department_id, ref.assignee_id)

    @activity.defn(name="deadline.fire")
    async def fire(self, data: FireInput) -> int:
        """A reminder or escalation: notifications, a task where the ladder says, an audit entry."""
        ref, rung = data.ref, data.rung
        bind(case_id=ref.case_id, workflow_id=ref.workflow_id, deadline_id=ref.deadline_id)
        base = f"{ref.deadline_id}/{data.due_at.isoformat()}/{rung.key}"
        # Said as of when it is sent: a rung fired late (a case registered after its instant, a worker
        # that was down) must not say the time it was planned for; a timer's jitter is not lateness.
        sent = data.at if data.at is not None and data.at - rung.at >= LATE else rung.at
        async with self.session_factory() as session:  # one session: each costs a connection of the pool
            rule = await rule_at(session, ref.profile, ref.rules_version, ref.rule)
            if rung.at > data.due_at:
                title = f"【已超期】{ref.title}：{rule.label}"
            elif rung.at == data.due_at:
                title = f"【已到期】{ref.title}：{rule.label}"
            else:
                title = f"【即将到期】{ref.title}：{rule.label}"
            body = (f"{rule.label}{deadline_text(data.due_at)}（北京时间），{overdue_text(data.due_at, sent)}。"
                    f"提醒对象：{AUDIENCE_ZH[rung.to]}。案件：{ref.case_id}")
            users = await self._recipients(session, ref, rung.to)
            created = 0
            for uid in users:
                created += await insert_once(session, Notification(
                    key=f"{base}/{uid}", user_id=uid, case_id=ref.case_id, deadline_id=ref.deadline_id,
                    level=rung.level, title=title, body=body,
                ))
            if rung.task:
                role = {"supervisor": Role.SUPERVISOR, "leader": Role.LEADER, "principal_head": Role.PRINCIPAL_HEAD,
                        "department_head": Role.DEPT_HEAD, "office_head": Role.OFFICE_HEAD}.get(rung.to)
                await insert_once(session, Task(
                    key=base, case_id=ref.case_id, workflow_id=ref.workflow_id, process=ref.process,
                    kind=f"escalation:{rung.to}", title=f"督办：{title}", role=role,
                    department_id=None if rung.to in {"supervisor", "leader", "principal_head", "office_head"}
                    else ref.department_id,
                    assignee_id=ref.assignee_id if rung.to == "assignee" else None,
                    deadline_id=ref.deadline_id, due_at=data.due_at,
                ))
            await insert_once(session, AuditEvent(
                key=f"{base}/audit", case_id=ref.case_id, actor="system",
                action="deadline_escalated" if rung.level else "deadline_reminded",
                summary=f"{title}，已通知{AUDIENCE_ZH[rung.to]}（{len(users)}人）",
                detail={"deadline_id": ref.deadline_id, "rung": rung.key, "level": rung.level,
                        "recipients": users, "due_at": data.due_at.isoformat()},
            ))
            if rung.level:
                await session.execute(update(Deadline).where(
                    col(Deadline.id) == ref.deadline_id, col(Deadline.level) < rung.level).values(level=rung.level))
            waiting = await plan(session, await self._outside(session, data, rule, users, title, sent))
            await session.commit()
        started = await start_deliveries(self.outbox, waiting)
        log.info("deadline_rung_fired", rung=rung.key, recipients=len(users), created=created, messages=started)
        return created

    async def _outside(self, session: AsyncSession, data: FireInput, rule: Rule, users: list[int], title: str,
                       sent: datetime) -> list[Delivery]:
        """The rung's messages outside the app: an e-mail to each person told who has an address (when a
        mail server is configured), and a message to each of the case department's group robots
        @-mentioning the person concerned (the assignee; else the department's head). Day clocks'
        messages wait out quiet hours."""
        ref, rung = data.ref, data.rung
        defined = next((r for r in rule.ladder if r.key == rung.key), None) or Rung(
            rung.key, "", rung.to, rung.level, rung.task)
        channels = channels_for(rule, defined)
        cal = await load_calendar(session, ref.region)
        try:
            release = release_at(sent, cal, keeps_quiet(rule))
        except ValueError:  # beyond the calendar's years: send rather than hold
            release = sent
        base = f"{ref.deadline_id}/{data.due_at.isoformat()}/{rung.key}"
        text = message_text(rule.label, data.due_at, sent, rung.to, rung.level)
        link = f"{self.outbox.link_base}{case_url(ref.process, ref.case_id)}"
        message = partial(Delivery, case_id=ref.case_id, cause="deadline", level=rung.level, title=title, body=text,
                          link=link, release_at=release)
        rows: list[Delivery] = []
        if "email" in channels and self.outbox.smtp is not None:  # no mail server: nothing to plan
            rows += [message(key=f"{base}/email/{uid}", channel=ChannelKind.EMAIL, user_id=uid)
                     for uid in await with_email(session, users)]
        if "group" in channels:
            if ref.assignee_id is not None:
                concerned = [ref.assignee_id]
            else:
                concerned = await recipients(session, "department_head", ref.department_id)
            rows += [message(key=f"{base}/{c.kind}/{c.id}", channel=c.kind, channel_id=c.id, mentions=concerned)
                     for c in await group_channels(session, ref.department_id)]
        return rows

    @activity.defn(name="deadline.close")
    async def close(self, data: CloseInput) -> None:
        ref = data.ref
        bind(case_id=ref.case_id, workflow_id=ref.workflow_id, deadline_id=ref.deadline_id)
        async with self.session_factory() as session:
            await write_close(session, data)
            await session.commit()
        log.info("deadline_closed", outcome=data.outcome)


async def write_close(session: AsyncSession, data: CloseInput) -> None:
    """A clock's close in the caller's transaction: its row's outcome (if older), its open tasks
    done, the audit entry."""
    ref = data.ref
    label = (await rule_at(session, ref.profile, ref.rules_version, ref.rule)).label
    if await update_if_older(session, Deadline, ref.deadline_id, data.version,
                             {"state": data.outcome, "closed_at": data.at}):
        await session.execute(update(Task).where(
            col(Task.deadline_id) == ref.deadline_id, col(Task.status) == "open").values(
            status="done", closed_at=data.at))
        outcome = {"met": "按期完成", "late": "超期完成", "cancelled": "已撤销"}[data.outcome]
        await insert_once(session, AuditEvent(
            key=f"{ref.deadline_id}/v{data.version}/close", case_id=ref.case_id, actor=data.actor,
            action=f"deadline_{data.outcome}", at=data.at,
            summary=f"{label}{outcome}", detail={"deadline_id": ref.deadline_id},
        ))
