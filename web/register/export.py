"""The register's rows as an XLSX workbook: Chinese headers, Beijing dates as dates, personal
numbers masked as the list shows them."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from gongkai.clock import CST
from gongkai.disclosure import DISPOSITIONS
from web.register.query import PROCESSES, STAGES, STATUS_ZH, Found
from web.register.rows import masked_id, masked_phone

MAX_ROWS = 5000  # one export; a larger result is refused with a message to narrow the search
HEADERS = ("受理编号", "流程", "提交（登记）时间", "收到日期", "申请人", "证件号码（脱敏）", "联系电话（脱敏）",
           "内容", "办理部门", "阶段", "办理状态", "答复类型")
WIDTHS = (18, 14, 18, 12, 16, 22, 16, 60, 18, 14, 10, 12)
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(sheet: Worksheet, value: object, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def workbook(rows: Iterable[Found], departments: dict[int, str]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("登记台账")
    for i, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for r in rows:
        # Excel has no time zones: the Beijing wall-clock time, as the pages show it.
        at: datetime = r.at.astimezone(CST).replace(tzinfo=None)
        sheet.append([
            r.id, PROCESSES[r.process], _cell(sheet, at, "yyyy-mm-dd hh:mm"),
            _cell(sheet, r.received, "yyyy-mm-dd") if r.received else None,
            r.applicant or "", masked_id(r), masked_phone(r), r.summary, departments.get(r.department_id, ""),
            STAGES[r.process].get(r.stage, r.stage), STATUS_ZH["closed" if r.closed else "open"],
            DISPOSITIONS[r.disposition][0] if r.disposition in DISPOSITIONS else "",
        ])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
