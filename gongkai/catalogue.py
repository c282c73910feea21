"""The 主动公开基本目录 (catalogue) without the web: what an entry must hold, reading one from a form or
from a row of an office's spreadsheet (名称、内容、依据、时限、主体、方式、渠道、公开对象, rules.md E09),
writing the sheet back, and the starter catalogue for the county level (rules.md table B).

A spreadsheet is checked whole: every bad row is named with its row number and what is wrong, so
the caller imports all rows or none."""

from __future__ import annotations

import io
import tomllib
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai.clock import ClockKind
from gongkai.errors import InvalidInput
from gongkai.publication import CHANNELS, KINDS
from gongkai.rules import Rule

STARTER = Path(__file__).resolve().parent / "data" / "catalogue.toml"
EACH_DEPARTMENT = "各部门"  # 主体 of an entry each department keeps for itself (department_id None)
METHOD = "主动公开"  # 方式: every entry of this catalogue is proactive
# The columns offices use, then the two this system needs to read a sheet back losslessly.
COLUMNS = ("名称", "内容", "依据", "时限", "主体", "方式", "渠道", "公开对象", "类别", "保密审查")
REQUIRED_COLUMNS = ("名称", "主体", "渠道")
LIMITS = {"name": 200, "content": 1000, "basis": 500, "audience": 100}
FIELD_ZH = {"name": "名称", "content": "内容", "basis": "依据", "audience": "公开对象", "kind": "类别",
            "department_id": "主体", "channels": "渠道", "secrecy_review": "保密审查"}
MAX_FILE = 2 * 1024 * 1024
MAX_ROWS = 2000
YES = {"是", "需要", "要", "yes", "y", "1", "true"}
NO = {"否", "不需要", "无需", "no", "n", "0", "false"}
_SEPARATORS = str.maketrans({s: "、" for s in ",，;；/|\n"})
_UNITS = {ClockKind.WORKING_DAYS: "个工作日", ClockKind.HOURS: "小时", ClockKind.CALENDAR_DAYS: "日",
          ClockKind.MONTHS: "个月"}


def limit_text(rule: Rule) -> str:
    """A rule's limit as the catalogue says it: 7个工作日, 24小时, 1个月; 当日 for 0 working days."""
    if rule.amount == 0 and rule.kind == ClockKind.WORKING_DAYS:
        return "当日"
    return f"{rule.amount}{_UNITS.get(rule.kind, '')}"


@dataclass
class Entry:
    """What a catalogue entry says (the table's columns without who changed it when)."""

    name: str
    kind: str
    channels: list[str]
    content: str = ""
    basis: str = ""
    department_id: int | None = None
    audience: str = "全社会"
    secrecy_review: bool = True

    def key(self) -> tuple[str, int | None]:
        """An entry is known by its name and its 主体: a row with the same pair updates it."""
        return self.name, self.department_id


def entry_problems(entry: Entry) -> dict[str, str]:
    """Every problem with an entry, by field (all at once)."""
    problems: dict[str, str] = {}
    if not entry.name:
        problems["name"] = "请填写名称"
    for name, limit in LIMITS.items():
        value = getattr(entry, name)
        if name not in problems and len(value) > limit:
            problems[name] = f"{FIELD_ZH[name]}不能超过{limit}字（现为{len(value)}字）"
    if not entry.audience:
        problems["audience"] = "请填写公开对象（例如：全社会）"
    if entry.kind not in KINDS:
        problems["kind"] = "请选择类别（决定时限）"
    if not entry.channels:
        problems["channels"] = "请至少选择一个发布渠道"
    elif unknown := [c for c in entry.channels if c not in CHANNELS]:
        problems["channels"] = f"未知的发布渠道：{'、'.join(unknown)}"
    return problems


def entry_of_form(data: Mapping[str, Any], departments: Iterable[int]) -> tuple[Entry, dict[str, str]]:
    """The entry a form describes (channels a list of keys, department an id or "" for each
    department), and every problem with it by field."""
    def text(name: str) -> str:
        value = data.get(name)
        return value.strip() if isinstance(value, str) else ""

    raw_channels = data.get("channels")
    channels = [raw_channels] if isinstance(raw_channels, str) else list(raw_channels or [])
    channels = list(dict.fromkeys(c for c in channels if isinstance(c, str) and c))
    problems: dict[str, str] = {}
    department_id = None
    raw_dept = text("department_id")
    if raw_dept:
        try:
            department_id = int(raw_dept)
        except ValueError:
            department_id = None
        if department_id not in set(departments):
            problems["department_id"] = "请选择主体（责任部门），或选“各部门”"
            department_id = None
    entry = Entry(name=text("name"), kind=text("kind"), channels=channels, content=text("content"),
                  basis=text("basis"), department_id=department_id, audience=text("audience"),
                  secrecy_review=text("secrecy_review") != "0")
    return entry, {**entry_problems(entry), **problems}


# -- the spreadsheet ------------------------------------------------------------------------------
@dataclass
class RowProblem:
    row: int  # the sheet's row number, as the office's spreadsheet program shows it
    messages: list[str] = field(default_factory=list)

    def text(self) -> str:
        return f"第 {self.row} 行：" + "；".join(self.messages)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def kinds_by_text(limits: Mapping[str, str]) -> dict[str, list[str]]:
    """Which kinds a 时限 text names under the office's rules (several kinds may share one limit)."""
    out: dict[str, list[str]] = {}
    for kind, text in limits.items():
        out.setdefault(text, []).append(kind)
    return out


def _kind(category: str, limit: str, limits: Mapping[str, str]) -> tuple[str, str]:
    """The kind a row's 类别 (its label or key) or, lacking one, its 时限 names; or why none."""
    if category:
        for kind, (label, _, _) in KINDS.items():
            if category in (kind, label):
                return kind, ""
        return "", f"类别“{category}”不是已知的类别（可选：{'、'.join(label for label, _, _ in KINDS.values())}）"
    if not limit:
        return "", "请填写类别或时限"
    if limit in [label for label, _, _ in KINDS.values()]:
        return next(k for k, (label, _, _) in KINDS.items() if label == limit), ""
    found = kinds_by_text(limits).get(limit.replace(" ", ""), [])
    if len(found) == 1:
        return found[0], ""
    if "general" in found:  # the general rule's limit: an office's own sheet has no 类别 to say more
        return "general", ""
    if not found:
        known = "、".join(sorted(set(limits.values())))
        return "", f"时限“{limit}”不对应任何类别的时限规则（现行：{known}），请填写类别"
    return "", f"时限“{limit}”对应多个类别（{'、'.join(KINDS[k][0] for k in found)}），请填写类别"


def _channels(value: str) -> tuple[list[str], str]:
    names = {label: key for key, label in CHANNELS.items()}
    out, unknown = [], []
    for part in value.translate(_SEPARATORS).split("、"):
        part = part.strip()
        if not part:
            continue
        key = part if part in CHANNELS else names.get(part)
        if key is None:
            unknown.append(part)
        elif key not in out:
            out.append(key)
    if unknown:
        return out, f"未知的发布渠道“{'、'.join(unknown)}”（可选：{'、'.join(CHANNELS.values())}）"
    if not out:
        return out, "请填写渠道"
    return out, ""


def parse_rows(rows: Sequence[Sequence[Any]], departments: Mapping[str, int],
               limits: Mapping[str, str]) -> tuple[list[tuple[int, Entry]], list[RowProblem]]:
    """The entries a sheet's rows describe (the first row its header), each with its row number, and
    every bad row with what is wrong with it. `departments`: department name → id; `limits`: kind →
    its 时限 text under the office's current rules."""
    if not rows or not any(_cell(v) for v in rows[0]):
        raise InvalidInput("文件为空：第 1 行应为表头（名称、内容、依据、时限、主体、方式、渠道、公开对象）")
    header = [_cell(v) for v in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing or ("类别" not in header and "时限" not in header):
        missing += [] if ("类别" in header or "时限" in header) else ["时限"]
        raise InvalidInput(f"第 1 行表头缺少列：{'、'.join(missing)}（应为：{'、'.join(COLUMNS)}）")
    where = {name: header.index(name) for name in COLUMNS if name in header}
    entries: list[tuple[int, Entry]] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, int | None], int] = {}
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput(f"一次最多导入 {MAX_ROWS} 行（文件有 {len(body)} 行），请分批导入")
    for number, row in enumerate(body, 2):
        cells = {name: _cell(row[i]) if i < len(row) else "" for name, i in where.items()}
        if not any(cells.values()):
            continue  # a blank line between blocks of rows
        wrong: list[str] = []
        kind, why = _kind(cells.get("类别", ""), cells.get("时限", ""), limits)
        if why:
            wrong.append(why)
        subject = cells.get("主体", "")
        department_id = None
        if subject and subject != EACH_DEPARTMENT:
            if subject in departments:
                department_id = departments[subject]
            else:
                wrong.append(f"主体“{subject}”不是本系统的部门（请写部门全称，或写“{EACH_DEPARTMENT}”）")
        elif not subject:
            wrong.append(f"请填写主体（部门全称，或“{EACH_DEPARTMENT}”）")
        method = cells.get("方式", "")
        if method and method != METHOD:
            wrong.append(f"方式“{method}”无效：本目录只收主动公开事项")
        channels, why = _channels(cells.get("渠道", ""))
        if why:
            wrong.append(why)
        secrecy = cells.get("保密审查", "").lower()
        if secrecy and secrecy not in YES | NO:
            wrong.append(f"保密审查“{cells['保密审查']}”应为“是”或“否”")
        entry = Entry(name=cells.get("名称", ""), kind=kind or "general", channels=channels or ["gov_website"],
                      content=cells.get("内容", ""), basis=cells.get("依据", ""), department_id=department_id,
                      audience=cells.get("公开对象", "") or "全社会", secrecy_review=secrecy not in NO)
        for name, message in entry_problems(entry).items():
            if name == "name":
                wrong.insert(0, "名称为空")
            elif name not in ("kind", "channels"):
                wrong.append(message)
        if entry.name and not wrong:
            if entry.key() in seen:
                wrong.append(f"与第 {seen[entry.key()]} 行重复（名称和主体相同）")
            else:
                seen[entry.key()] = number
        if wrong:
            problems.append(RowProblem(number, wrong))
        else:
            entries.append((number, entry))
    if not entries and not problems:
        raise InvalidInput("文件中没有目录行：表头之后至少需要一行")
    return entries, problems


def read_xlsx(data: bytes) -> list[list[Any]]:
    """The rows of an upload's first sheet; a file too large or not an .xlsx workbook is refused."""
    from openpyxl import load_workbook

    if len(data) > MAX_FILE:
        raise InvalidInput(f"文件超过 {MAX_FILE // 1024 // 1024} MB，请分批导入")
    if not data:
        raise InvalidInput("上传的文件是空的")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InvalidInput("文件不是 Excel 工作簿（.xlsx）。若是 .xls 或 .csv，请在表格软件中另存为 .xlsx 后再导入")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip: all mean the same
        raise InvalidInput("无法读取该文件：不是有效的 Excel 工作簿（.xlsx）") from None
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def sheet_row(entry: Entry, department: str, limit: str) -> list[str]:
    """An entry as a row of COLUMNS (`department`: its 主体's name, `limit`: its 时限 text)."""
    return [entry.name, entry.content, entry.basis, limit, department, METHOD,
            "、".join(CHANNELS.get(c, c) for c in entry.channels), entry.audience, KINDS[entry.kind][0]
            if entry.kind in KINDS else entry.kind, "是" if entry.secrecy_review else "否"]


def write_xlsx(rows: Iterable[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "主动公开基本目录"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for letter, width in zip("ABCDEFGHIJ", (30, 40, 40, 12, 16, 10, 20, 12, 30, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- the starter catalogue --------------------------------------------------------------------------
def starter_entries(path: Path = STARTER) -> list[Entry]:
    """The county-level starter catalogue (gongkai/data/catalogue.toml): each entry for each
    department to keep (主体 各部门)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for item in data["entries"]:
        entry = Entry(name=item["name"], kind=item["kind"], channels=list(item["channels"]),
                      content=item.get("content", ""), basis=item.get("basis", ""),
                      audience=item.get("audience", "全社会"), secrecy_review=item.get("secrecy_review", True))
        if problems := entry_problems(entry):
            raise ValueError(f"{path.name}: {entry.name}: {problems}")
        out.append(entry)
    return out
