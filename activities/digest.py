"""The daily digest's activity: on a working day, read each person's open tasks (as their inbox
does), compose their digest (gongkai/digest.py), and put it in the app (待阅) and, for those with an
e-mail address while a mail server is configured, in the outbox.

Keyed by the day: the notice `digest/<day>/<user>`, the e-mail `digest/<day>/<user>/email`. A
second run the same day (a retry, a manual trigger) adds and sends nothing already there."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.delivery import Outbox, plan, start_deliveries, with_email
from activities.store import insert_once
from contracts.digest import DigestDay, DigestReport
from gongkai.calendar_store import load_calendar
from gongkai.channels import ChannelKind
from gongkai.digest import Digest, Item, compose
from gongkai.logs import bind, get_logger
from gongkai.roles import HEADS
from gongkai.task_store import inbox_branches
from models import Delivery, Notification, Task, User

log = get_logger(__name__)
READ = 500  # open tasks read per query: far more than a digest lists; its counts past this are rare


def notice_key(day: str, user_id: int) -> str:
    return f"digest/{day}/{user_id}"


def email_key(day: str, user_id: int) -> str:
    return f"digest/{day}/{user_id}/email"


def _item(task: Task) -> Item:
    return Item(task.case_id, task.process, task.kind, task.title, task.due_at)


async def _read(session: AsyncSession, query) -> list[Item]:
    # Undated tasks last on every database (SQLite sorts NULL first, PostgreSQL last).
    ordered = query.order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id)).limit(READ)
    return [_item(t) for t in (await session.execute(ordered)).scalars()]


class DigestActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox | None = None) -> None:
        self.session_factory = session_factory
        self.outbox = outbox or Outbox.of()

    async def _compose(self, session: AsyncSession, data: DigestDay, day: date) -> list[Digest]:
        cal = await load_calendar(session)
        people = list((await session.execute(select(User).where(col(User.active)).order_by(col(User.id)))).scalars())
        overdue: dict[int | None, list[Item]] = {}  # by department, read once for its heads
        digests: list[Digest] = []
        for user in people:
            todo = [i for branch in inbox_branches(user) for i in await _read(session, branch)]
            late: list[Item] = []
            if user.role in HEADS:
                if user.department_id not in overdue:
                    overdue[user.department_id] = await _read(session, select(Task).where(
                        Task.status == "open", Task.department_id == user.department_id,
                        col(Task.kind).like("stage:%"), col(Task.due_at) <= data.at))
                late = overdue[user.department_id]
            digest = compose(user.id or 0, todo, day=day, now=data.at, cal=cal, link_base=self.outbox.link_base,
                             department_overdue=late)
            if digest is not None:
                digests.append(digest)
        return digests

    @activity.defn(name="digest.send")
    async def send(self, data: DigestDay) -> DigestReport:
        """The day's digest to everyone with something to report, unless the day is not a working day
        (a weekend, a holiday; a 调休 Saturday is a working day)."""
        bind(digest=data.day)
        day = date.fromisoformat(data.day)
        async with self.session_factory() as session:
            info = (await load_calendar(session)).day_info(day)
            if not info.working:
                log.info("digest_skipped", day=data.day, reason=info.kind)
                return DigestReport(data.day, working=False, reason=f"{info.kind} {info.name}".strip())
            digests = await self._compose(session, data, day)
        async with self.session_factory() as session:
            notices = 0
            for d in digests:
                notices += await insert_once(session, Notification(
                    key=notice_key(data.day, d.user_id), user_id=d.user_id, case_id="", title=d.title,
                    body=d.summary))
            by_user = {d.user_id: d for d in digests}
            rows = [Delivery(key=email_key(data.day, uid), case_id="", cause="digest", channel=ChannelKind.EMAIL,
                             user_id=uid, title=by_user[uid].title, body=by_user[uid].body, link=by_user[uid].link,
                             release_at=data.at)
                    for uid in (await with_email(session, list(by_user)) if self.outbox.smtp else [])]
            known = set((await session.execute(select(Delivery.key).where(
                col(Delivery.key).in_([r.key for r in rows] or [""])))).scalars())
            waiting = await plan(session, rows)
            await session.commit()
        started = await start_deliveries(self.outbox, waiting)
        report = DigestReport(data.day, working=True, people=len(digests), notices=notices,
                              emails=len([r for r in rows if r.key not in known]), started=started)
        log.info("digest_sent", day=data.day, people=report.people, notices=notices, emails=report.emails,
                 started=started)
        return report
