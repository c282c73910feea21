"""The deadline calculator: a page and a JSON endpoint over the calendar in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from litestar import Controller, get
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, ClockKind, ClockSpec, Due, compute
from gongkai.errors import InvalidInput
from gongkai.explain import due_text, explain
from gongkai.workdays import NATIONAL, REGIONS
from models import User
from web.render import beijing, page

KINDS_ZH = {"working_days": "工作日", "calendar_days": "自然日", "months": "个月"}


@dataclass
class DeadlineAnswer:
    start: date
    n: int
    kind: str
    region: str
    due_date: date
    due_at: datetime
    provisional: bool
    provisional_years: list[int]
    explanation: list[str]
    explanation_en: list[str]


async def calculate(db: AsyncSession, start: str, n: int, kind: str, region: str) -> tuple[Due, date]:
    try:
        start_day = date.fromisoformat(start)
    except ValueError:
        raise InvalidInput("起算日期格式应为 YYYY-MM-DD") from None
    if kind not in KINDS_ZH:
        raise InvalidInput("期限类型应为 working_days、calendar_days 或 months")
    if region not in REGIONS:
        raise InvalidInput(f"未知地区：{region}")
    if not 0 <= n <= 400:
        raise InvalidInput("期限数值应在 0 到 400 之间")
    if not 1990 <= start_day.year <= 2200:
        raise InvalidInput("起算日期超出范围")
    cal = await load_calendar(db, region)
    spec = ClockSpec(kind=ClockKind(kind), amount=n, start=datetime.combine(start_day, time(9), CST))
    return compute(spec, cal), start_day


class CalculatorController(Controller):
    @get("/deadline", include_in_schema=False)
    async def calculator(self, db: AsyncSession, user: User, start: str | None = None, n: int = 20,
                         kind: str = "working_days", region: str = NATIONAL) -> Template:
        context = {"start": start or date.today().isoformat(), "n": n, "kind": kind, "region": region,
                   "kinds": KINDS_ZH, "regions": REGIONS, "due": None, "lines": [], "error": None,
                   "beijing": beijing, "due_text": due_text}
        status = 200
        if start:
            try:
                due, _ = await calculate(db, start, n, kind, region)
                context.update(due=due, lines=explain(due, "zh"))
            except InvalidInput as exc:
                context["error"], status = exc.message, 400
        return await page("calculator.html", db, user, status_code=status, **context)

    @get("/api/deadline", tags=["deadline"], summary="Compute a due date")
    async def api_deadline(self, db: AsyncSession, user: User, start: str, n: int,
                           kind: str = "working_days", region: str = NATIONAL) -> DeadlineAnswer:
        """The due date of N units counted from START (the start day not counted), with its derivation."""
        due, start_day = await calculate(db, start, n, kind, region)
        return DeadlineAnswer(start_day, n, kind, region, due.last_day, due.due_at, due.provisional,
                              list(due.provisional_years), explain(due, "zh"), explain(due, "en"))
