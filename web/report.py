"""The annual report's tables 2 and 3 for any year: a page; table 3 also as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from litestar import Controller, Response, get
from litestar.response import Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.report import COLUMN_LABELS, TABLE2_COLUMNS, RequestFact, Row, Table2Row, check_invariants, table2, table3
from models import DisclosureRequest, PolicyCase, PublicationItem, User
from web.guards import oversight_only
from web.render import page


async def facts(db: AsyncSession) -> list[RequestFact]:
    q = select(DisclosureRequest.applicant_type, DisclosureRequest.received_date, DisclosureRequest.replied_at,
               DisclosureRequest.closed_at, DisclosureRequest.stage, DisclosureRequest.disposition,
               DisclosureRequest.reason)
    out = []
    for kind, received, replied_at, closed_at, stage, disposition, reason in (await db.execute(q)).all():
        concluded = replied_at or (closed_at if stage in {"withdrawn", "abandoned"} else None)
        out.append(RequestFact(kind, received, concluded.astimezone(CST).date() if concluded else None,
                               disposition, reason))
    return out


async def table2_of(db: AsyncSession, year: int) -> list[Table2Row]:
    """Table 2 from the year's decisions published (cancelled items are not decisions) and the
    normative documents published."""
    start, end = datetime(year, 1, 1, tzinfo=CST), datetime(year + 1, 1, 1, tzinfo=CST)
    q = select(PublicationItem.kind, PublicationItem.triggered_at).where(
        col(PublicationItem.kind).in_(("licensing", "penalty", "coercion")),
        col(PublicationItem.outcome) != "cancelled", col(PublicationItem.triggered_at) >= start,
        col(PublicationItem.triggered_at) < end)
    decisions: dict[str, list] = {}
    for kind, at in (await db.execute(q)).all():
        decisions.setdefault(kind, []).append(at.astimezone(CST).date())
    issued = [on for (on,) in (await db.execute(select(PolicyCase.published_on).where(
        col(PolicyCase.normative), col(PolicyCase.published_on).is_not(None)))).all()]
    return table2(decisions, issued, year)


def _check(user: User, year: int) -> None:
    if not 2000 <= year <= 2200:
        raise InvalidInput("年份无效")


def to_csv(rows: list[Row], year: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([f"{year}年 收到和处理政府信息公开申请情况", *COLUMN_LABELS])
    for r in rows:
        w.writerow(["　" * r.indent + r.label, *r.values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def to_xlsx(rows: list[Row], year: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年表三"
    ws.append([f"三、收到和处理政府信息公开申请情况（{year}年）"])
    ws["A1"].font = Font(bold=True)
    ws.append(["本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和", *COLUMN_LABELS])
    for r in rows:
        ws.append([r.label, *r.values])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(indent=r.indent * 2)
    ws.column_dimensions["A"].width = 60
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class ReportController(Controller):
    path = "/report"
    include_in_schema = False
    guards = [oversight_only]

    @get("/")
    async def show(self, db: AsyncSession, user: User, year: int | None = None) -> Template:
        year = year or datetime.now(CST).year
        _check(user, year)
        rows = table3(await facts(db), year)
        return await page("report.html", db, user, rows=rows, year=year, columns=COLUMN_LABELS,
                          problems=check_invariants(rows), table2=await table2_of(db, year),
                          table2_columns=TABLE2_COLUMNS)

    @get("/table3.csv")
    async def csv_export(self, db: AsyncSession, user: User, year: int) -> Response:
        _check(user, year)
        return Response(to_csv(table3(await facts(db), year), year), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="table3-{year}.csv"'})

    @get("/table3.xlsx")
    async def xlsx_export(self, db: AsyncSession, user: User, year: int) -> Response:
        _check(user, year)
        return Response(to_xlsx(table3(await facts(db), year), year),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="table3-{year}.xlsx"'})
