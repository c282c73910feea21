"""主动公开考核统计 (/publication/stats): per department and month, items published on time, late,
still open (and overdue) — the figures an assessment asks for — on a page and as XLSX."""

from __future__ import annotations

import io
from datetime import datetime

from litestar import Controller, Response, get
from litestar.response import Template
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.publication_stats import Figures, ItemFact, Totals, figures
from models import Deadline, Department, PublicationItem, User
from web.guards import oversight_only
from web.render import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("部门", "月份", "事项数", "按期发布", "超期发布", "未发布", "其中已超期", "已撤销", "按期发布率")


async def _totals(db: AsyncSession, year: int, department_id: int | None) -> Totals:
    if not 2000 <= year <= 2200:
        raise InvalidInput("年份无效", field="year")
    now = datetime.now(CST)
    # Counted in SQL from the (trigger_month, department_id, outcome) index alone; then the few open
    # ones overdue, from the running clocks.
    month, dept, outcome = col(PublicationItem.trigger_month), col(PublicationItem.department_id), \
        col(PublicationItem.outcome)
    where = [month > year * 100, month <= year * 100 + 12]
    if department_id:
        where.append(dept == department_id)
    counted = (await db.execute(select(dept, month, outcome, func.count()).where(*where)
                                .group_by(month, dept, outcome))).all()
    # Not limited to the year in SQL: from the running clocks past due (a few hundred), not the year's items.
    overdue = {(d, m): n for d, m, n in (await db.execute(
        select(dept, month, func.count()).select_from(Deadline)
        .join(PublicationItem, col(PublicationItem.id) == col(Deadline.case_id))
        .where(col(Deadline.state) == "running", col(Deadline.due_at) < now, outcome == "")
        .group_by(dept, month))).all()}
    facts = []
    for d, m, o, n in counted:
        late = overdue.get((d, m), 0) if o == "" else 0
        label = f"{m // 100}-{m % 100:02d}"
        facts += [ItemFact(d, label, o, True, late)] if late else []
        facts += [ItemFact(d, label, o, False, n - late)] if n > late else []
    return figures(facts)


def _rate(r: Figures) -> str:
    rate = r.on_time_rate
    return "—" if rate is None else f"{rate:.1%}"


async def _names(db: AsyncSession) -> dict[int, str]:
    return {d.id: d.name for d in (await db.execute(select(Department))).scalars() if d.id is not None}


class PublicationStatsController(Controller):
    path = "/publication/stats"
    include_in_schema = False
    guards = [oversight_only]

    @get("/")
    async def show(self, db: AsyncSession, user: User, year: int | None = None,
                   department_id: int | None = None) -> Template:
        year = year or datetime.now(CST).year
        totals = await _totals(db, year, department_id)
        return await page("publication/stats.html", db, user, year=year, department_id=department_id,
                          totals=totals, total=totals.total(), names=await _names(db), headers=HEADERS, rate=_rate)

    @get("/stats.xlsx")
    async def xlsx(self, db: AsyncSession, user: User, year: int, department_id: int | None = None) -> Response:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        totals, names = await _totals(db, year, department_id), await _names(db)
        wb = Workbook()
        ws = wb.active
        ws.title = f"{year}年主动公开"
        ws.append([f"{year}年主动公开事项按期发布情况"])
        ws["A1"].font = Font(bold=True)
        ws.append(list(HEADERS))
        for r in [*totals.rows, totals.total()]:
            ws.append([names.get(r.department_id, "全部部门"), r.month, r.items, r.met, r.late, r.open, r.overdue,
                       r.cancelled, _rate(r)])
        ws.column_dimensions["A"].width = 24
        out = io.BytesIO()
        wb.save(out)
        return Response(out.getvalue(), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="publication-{year}.xlsx"'})
