"""Many publication items at once from a CSV file (a bureau's month of penalty decisions): reading
and checking every row. A file with any bad row opens nothing; each row names the thing by its
business number (业务编号), so the same file uploaded twice opens nothing twice."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.publication import CHANNELS, KINDS, TEXT_LIMIT, TITLE_LIMIT

COLUMNS = ("事项名称", "类别", "责任部门", "发生时间", "发布渠道", "保密审查", "业务编号", "内容")
REQUIRED = ("事项名称", "类别", "责任部门", "发生时间", "业务编号")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
KEY_LIMIT = 100
_KIND_OF = {**{k: k for k in KINDS}, **{label: k for k, (label, _, _) in KINDS.items()}}
_CHANNEL_OF = {**{k: k for k in CHANNELS}, **{label: k for k, label in CHANNELS.items()}}
_YES = {"是": True, "需要": True, "yes": True, "y": True, "1": True, "true": True,
        "否": False, "不需要": False, "no": False, "n": False, "0": False, "false": False}


@dataclass(frozen=True)
class Row:
    line: int  # the row's number in the file (the header is row 1)
    title: str
    kind: str
    department_id: int
    triggered_at: datetime
    channels: tuple[str, ...]
    secrecy_review: bool
    external_key: str
    content: str


def decode(data: bytes) -> str:
    """UTF-8 (with or without the mark Excel writes) or GB18030 (what Excel in Chinese saves as CSV)."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"文件过大（上限 {MAX_BYTES // 1024 // 1024} MB）", field="file")
    if not data.strip():
        raise InvalidInput("文件是空的", field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("文件不是 UTF-8 或 GBK 编码的 CSV 文本", field="file")


def _instant(value: str, today: date) -> datetime:
    value = value.strip().replace("/", "-")
    try:
        if len(value) <= 10:
            day = date.fromisoformat(value)
            at = datetime.combine(day, time(0), CST)
        else:
            at = datetime.fromisoformat(value)
            at = at if at.tzinfo else at.replace(tzinfo=CST)
    except ValueError:
        raise ValueError(f"发生时间“{value}”格式应为 2026-09-25 或 2026-09-25 14:30") from None
    if at.astimezone(CST).date() > today:
        raise ValueError(f"发生时间“{value}”晚于今天")
    return at


def read(text: str, departments: dict[str, int], *, today: date, own_department: int | None = None) -> list[Row]:
    """Every row, checked; InvalidInput listing every bad row (`detail["problems"]`) if any is.
    `departments`: code and name → id; `own_department`: the only one an officer may import for."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("文件是空的", field="file") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(f"第 1 行（表头）缺少列：{'、'.join(missing)}（应为：{'、'.join(COLUMNS)}）", field="file")
    index = {name: header.index(name) for name in COLUMNS if name in header}
    rows: list[Row] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            raise InvalidInput(f"一次最多导入 {MAX_ROWS} 行，请分批导入", field="file")

        def cell(name: str, cells: list[str] = cells) -> str:
            i = index.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        wrong: list[str] = []
        title, key = cell("事项名称"), cell("业务编号")
        if not title:
            wrong.append("事项名称为空")
        elif len(title) > TITLE_LIMIT:
            wrong.append(f"事项名称超过{TITLE_LIMIT}字")
        if not key:
            wrong.append("业务编号为空（用于识别重复导入）")
        elif len(key) > KEY_LIMIT:
            wrong.append(f"业务编号超过{KEY_LIMIT}字")
        elif key in seen:
            wrong.append(f"业务编号“{key}”与第 {seen[key]} 行重复")
        else:
            seen[key] = line
        kind = _KIND_OF.get(cell("类别"))
        if kind is None:
            wrong.append(f"类别“{cell('类别')}”不是本系统的事项类别")
        department = departments.get(cell("责任部门"))
        if department is None:
            wrong.append(f"责任部门“{cell('责任部门')}”不存在")
        elif own_department is not None and department != own_department:
            wrong.append("只能导入本部门的事项")
        try:
            triggered = _instant(cell("发生时间"), today) if cell("发生时间") else None
            if triggered is None:
                wrong.append("发生时间为空")
        except ValueError as exc:
            triggered = None
            wrong.append(str(exc))
        names = [n.strip() for n in cell("发布渠道").replace("；", "、").replace(";", "、").replace(",", "、")
                 .replace("，", "、").split("、") if n.strip()]
        channels = [_CHANNEL_OF.get(n) for n in names]
        if None in channels:
            wrong.append(f"发布渠道“{'、'.join(n for n, c in zip(names, channels, strict=True) if c is None)}”不存在"
                         f"（可选：{'、'.join(CHANNELS.values())}）")
        review = _YES.get(cell("保密审查").lower(), None) if cell("保密审查") else True
        if review is None:
            wrong.append(f"保密审查应填“是”或“否”，而不是“{cell('保密审查')}”")
        content = cell("内容")
        if len(content) > TEXT_LIMIT:
            wrong.append(f"内容超过{TEXT_LIMIT}字")
        if wrong:
            problems.append(f"第 {line} 行：{'；'.join(wrong)}")
            continue
        assert kind is not None and department is not None and triggered is not None and review is not None
        chosen = tuple(c for c in channels if c) or KINDS[kind][2]
        rows.append(Row(line, title, kind, department, triggered, chosen, review, key, content))
    if problems:
        raise InvalidInput(f"有 {len(problems)} 行有问题，未导入任何事项：" + "；".join(problems[:10])
                           + ("；……" if len(problems) > 10 else ""), field="file", detail={"problems": problems})
    if not rows:
        raise InvalidInput("文件中没有事项", field="file")
    return rows


def template() -> str:
    """A CSV to fill in, with one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["关于某公司违法排污的行政处罚决定", KINDS["penalty"][0], "JYJ", "2026-09-25",
                     "部门网站、政府网站", "是", "某环罚〔2026〕12号", "处罚决定书全文"])
    return out.getvalue()
