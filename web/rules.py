"""时限规则 (/admin/rules), for administrators: the office's time-limit rules in force (its jurisdiction
profile, gongkai/rule_store.py), a form to change one rule with a required reason, the history of
versions, export and import of the profile as TOML, and applying a version to open cases.

Every save is a new version (never an edit). Open cases keep the version they started with until
an administrator applies a newer one here, after a preview of which deadlines move and by how much.
Each saved version and each apply is audited (web/audit.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, ClockKind, local_date
from gongkai.errors import Conflict, InvalidInput, NotFound
from gongkai.logs import get_logger
from gongkai.paths import case_url
from gongkai.profiles import MAX_FILE, SHIPPED, decode_upload, read_profile, shipped_profile, write_profile
from gongkai.recompute import Move, preview_rules
from gongkai.rule_store import FIELD_ZH, book_of, latest, save, value_text, version_row, versions
from gongkai.rules import ANCHORS, AUDIENCE_ZH, AUDIENCES, CHANNELS, KIND_ZH, LEVEL_ZH, Rule, Rung, rule_problems
from gongkai.workdays import REGIONS, WorkdayCalendar
from models import RuleVersion, User
from web.actions import actor_of
from web.audit import audit
from web.deps import temporal_client
from web.guards import admin_only
from web.recompute import apply_rules
from web.render import beijing, page

log = get_logger(__name__)
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
ORIGIN_ZH = {"shipped": "随系统发布", "ui": "页面修改", "import": "导入", "upgrade": "系统升级"}
REASON_CHARS = 500
_RUNG_LINE = re.compile(r"^(\S+)\s+(\S+)\s+(-?\d+)((?:\s+\S+)*)$")


def limit_text(rule: Rule) -> str:
    if rule.amount == 0 and rule.kind == ClockKind.WORKING_DAYS:
        return "当日（与触发事项同日）"
    unit = {"working_days": "个工作日", "hours": "小时", "calendar_days": "日", "months": "个月"}.get(rule.kind, "")
    return f"{rule.amount}{unit}"


def rung_line(rung: Rung) -> str:
    """A rung as one line of the ladder box: `-2wd assignee 0`, `due supervisor 1 task`."""
    parts = [rung.when, rung.to, str(rung.level)]
    if rung.task:
        parts.append("task")
    if rung.channels:
        parts.append("channels=" + ",".join(rung.channels))
    return " ".join(parts)


def parse_ladder(text: str) -> tuple[list[Rung], list[str]]:
    """The ladder box, one rung a line; blank lines and `#` comments are skipped. Returns the rungs
    and what could not be read, each with its line."""
    rungs: list[Rung] = []
    problems: list[str] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _RUNG_LINE.match(line)
        if not m:
            problems.append(f"第 {no} 行“{line}”格式应为“时点 对象 级别 [task]”，例如 -2wd assignee 0")
            continue
        when, to, level, rest = m.group(1), m.group(2), int(m.group(3)), m.group(4).split()
        task, channels, bad = False, (), []
        for word in rest:
            if word == "task":
                task = True
            elif word.startswith("channels="):
                channels = tuple(c for c in word.removeprefix("channels=").split(",") if c)
            else:
                bad.append(word)
        if bad:
            problems.append(f"第 {no} 行：无法识别“{' '.join(bad)}”（级别后只能写 task 或 channels=email,group）")
            continue
        rungs.append(Rung(f"{when}:{to}", when, to, level, task, channels))
    return rungs, problems


def form_of(rule: Rule) -> dict[str, str]:
    return {"label": rule.label, "amount": str(rule.amount), "kind": rule.kind.value, "anchor": rule.anchor,
            "applies": "1" if rule.applies else "0", "source": rule.source,
            "ladder": "\n".join(rung_line(r) for r in rule.ladder), "reason": ""}


def rule_of_form(current: Rule, data: dict[str, str]) -> tuple[Rule, dict[str, list[str]]]:
    """The rule the form describes, and every problem with it by field (all at once)."""
    problems: dict[str, list[str]] = {}
    raw = (data.get("amount") or "").strip()
    try:
        amount = int(raw)
    except ValueError:
        problems["amount"] = [f"期限应为整数（现为“{raw}”）" if raw else "请填写期限"]
        amount = current.amount
    try:
        kind = ClockKind(data.get("kind") or "")
    except ValueError:
        problems["kind"] = ["请选择期限类型"]
        kind = current.kind
    anchor = (data.get("anchor") or "").strip()
    if kind != ClockKind.HOURS:
        anchor = ""  # only an hour clock has a choice of anchor; the box is ignored for the others
    rungs, unreadable = parse_ladder(data.get("ladder") or "")
    if unreadable:
        problems["ladder"] = unreadable
    rule = Rule(current.name, (data.get("label") or "").strip(), kind, amount, (data.get("source") or "").strip(),
                tuple(rungs), anchor, data.get("applies", "1") != "0", current.version, current.note)
    for where, messages in rule_problems(rule).items():
        key = where.split(".")[0]
        if key == "amount" and "amount" in problems:
            continue
        problems.setdefault(key, []).extend(messages)
    return rule, problems


def shift_text(move: Move, cal: WorkdayCalendar, kind: ClockKind | None) -> str:
    """How far a deadline moves: 提前 3 个工作日, 推后 14 天, 提前 2 小时."""
    before, after = move.due_from, move.due_to
    if move.cancelled:
        return "新规则不适用：停止计时"
    if move.unknown:
        return "适用后按新规则计算"
    if before is None or after is None:
        return "暂停中，恢复计时后按新规则计算"
    if before == after:
        return "不变"
    word = "提前" if after < before else "推后"
    if kind == ClockKind.HOURS:
        hours = abs((after - before).total_seconds()) / 3600
        return f"{word} {hours:g} 小时"
    a, b = sorted((local_date(before), local_date(after)))
    if kind == ClockKind.WORKING_DAYS:
        # A working-day limit ends at 24:00, the next day's first instant: count the days it covers
        # (else a limit moved from before a holiday to before a working day counted one day short).
        a, b = sorted(local_date(at - timedelta(microseconds=1)) for at in (before, after))
        n = sum(1 for i in range(1, (b - a).days + 1) if cal.is_working_day(date.fromordinal(a.toordinal() + i)))
        if n:
            return f"{word} {n} 个工作日"
    if a == b:
        hours = abs((after - before).total_seconds()) / 3600
        return f"{word} {hours:g} 小时"
    return f"{word} {(b - a).days} 天"


@dataclass
class CaseMoves:
    case_id: str
    process: str
    title: str
    url: str
    moves: list[tuple[Move, str]] = field(default_factory=list)  # each with how far it moves


def _shipped_names() -> list[tuple[str, str]]:
    """The shipped profiles an installation may choose (key, name), those whose file is present."""
    out = []
    for key in SHIPPED:
        try:
            out.append((key, shipped_profile(key).name))
        except (OSError, NotFound, InvalidInput):
            continue
    return out


def _version(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput("页面缺少规则版本号，请刷新页面后重新提交") from None


class RulesController(Controller):
    path = "/admin/rules"
    include_in_schema = False
    guards = [admin_only]

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        row = await latest(db)
        book = book_of(row)
        return await page("rules/index.html", db, user, row=row, rules=list(book.rules.values()),
                          limit_text=limit_text, kind_zh=KIND_ZH, anchors=ANCHORS, shipped=_shipped_names(),
                          regions=REGIONS,
                          is_shipped=row.number == 1 and row.origin == "shipped")

    # -- history ------------------------------------------------------------------------------------
    @get("/history")
    async def history(self, db: AsyncSession, user: User, saved: int | None = None) -> Template:
        rows = await versions(db)
        return await page("rules/history.html", db, user, rows=rows, saved=saved, origin_zh=ORIGIN_ZH,
                          field_zh=FIELD_ZH, value_text=value_text, beijing=beijing, latest=rows[0].number)

    # -- export and import --------------------------------------------------------------------------
    @get("/export")
    async def export(self, db: AsyncSession, user: User) -> Response[str]:
        row = await latest(db)
        day = datetime.now(CST).date().isoformat()
        comment = (f"{row.name}（{row.profile}）时限规则第 {row.number} 版，{day} 由{user.display_name}导出。\n"
                   "导入时可只保留要修改的规则（[rules.<名称>] 及其中要改的键），其余规则保持不变。")
        text = write_profile(row.profile, row.name, row.region, row.source, book_of(row).rules, comment)
        filename = f"gongkai-rules-{row.profile}-v{row.number}.toml"
        return Response(text, media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    async def _import_page(self, db: AsyncSession, user: User, *, status_code: int = 200,
                           problems: list[str] | None = None, reason: str = "") -> Template:
        row = await latest(db)
        return await page("rules/import.html", db, user, status_code=status_code, row=row,
                          problems=problems or [], reason=reason, max_kb=MAX_FILE // 1024)

    @get("/import")
    async def import_form(self, db: AsyncSession, user: User) -> Template:
        return await self._import_page(db, user)

    @post("/import")
    async def import_file(
        self, db: AsyncSession, user: User,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template | Redirect:
        upload = data.get("file")
        reason = str(data.get("reason") or "").strip()
        problems: list[str] = []
        text = None
        if not isinstance(upload, UploadFile) or not upload.filename:
            problems.append("请选择要导入的规则文件（.toml）")
        else:
            try:
                text = decode_upload(await upload.read(MAX_FILE + 1))
            except InvalidInput as exc:
                problems.append(exc.message)
        if not reason:
            problems.append("请填写导入原因")
        elif len(reason) > REASON_CHARS:
            problems.append(f"原因不能超过{REASON_CHARS}字")
        row = await latest(db)
        profile = None
        if text is not None:
            try:
                profile = read_profile(text, book_of(row).rules)
            except InvalidInput as exc:
                problems[:0] = exc.detail.get("problems") or [exc.message]
        if problems or profile is None:
            return await self._import_page(db, user, status_code=400, problems=problems, reason=reason)
        try:
            saved = await save(db, profile.rules, base=_version(str(data.get("base", ""))), origin="import",
                               reason=reason, actor=user.username, actor_name=user.display_name)
        except (InvalidInput, Conflict) as exc:
            return await self._import_page(db, user, status_code=409 if isinstance(exc, Conflict) else 400,
                                           problems=[exc.message], reason=reason)
        self._audit_saved(db, user, saved, f"导入文件 {upload.filename if isinstance(upload, UploadFile) else ''}")
        await db.commit()
        return Redirect(f"/admin/rules/history?saved={saved.number}", status_code=303)

    def _audit_saved(self, db: AsyncSession, user: User, row: RuleVersion, how: str) -> None:
        labels = list(dict.fromkeys(c["label"] for c in row.changes))
        audit(db, user, "admin", "rules_saved",
              f"{how}：时限规则保存为第 {row.number} 版（{'、'.join(labels)}），原因：{row.reason}",
              version=row.number, origin=row.origin, rules=sorted({c["rule"] for c in row.changes}))
        log.info("rules_saved", version=row.number, origin=row.origin)

    # -- applying a version to open cases -----------------------------------------------------------
    async def _preview(self, db: AsyncSession, row: RuleVersion) -> list[CaseMoves]:
        moves = await preview_rules(db, row)
        cal = await load_calendar(db, row.region)
        book = book_of(row)
        cases: dict[str, CaseMoves] = {}
        for move in moves:
            kind = book.rules[move.rule].kind if move.rule in book.rules else None
            entry = cases.setdefault(move.case_id, CaseMoves(move.case_id, move.process, move.title,
                                                             case_url(move.process, move.case_id)))
            entry.moves.append((move, shift_text(move, cal, kind)))
        return list(cases.values())

    async def _apply_row(self, db: AsyncSession, version: str | None) -> RuleVersion:
        row = await latest(db)
        if version in (None, ""):
            return row
        return await version_row(db, row.profile, _version(version))

    @get("/apply")
    async def apply_preview(self, db: AsyncSession, user: User, version: str | None = None) -> Template:
        row = await self._apply_row(db, version)
        cases = await self._preview(db, row)
        return await page("rules/apply.html", db, user, row=row, cases=cases,
                          deadlines=sum(len(c.moves) for c in cases), applied=None)

    @post("/apply")
    async def apply(self, db: AsyncSession, state: State, user: User, data: Form) -> Template:
        row = await self._apply_row(db, data.get("version") or "")
        client = await temporal_client(state)
        if client is None:
            raise Conflict("工作流服务暂时无法连接，规则未适用于在办案件，请稍后重试")
        result = await apply_rules(client, db, row, await actor_of(db, user))
        failed = len(result.failed)
        audit(db, user, "admin", "rules_applied",
              f"将时限规则第 {row.number} 版适用于在办案件：{result.cases} 件案件，调整 {result.moved} 个期限"
              + (f"，{failed} 件未能调整" if failed else ""),
              version=row.number, cases=result.cases, moved=result.moved, failed=result.failed[:20])
        await db.commit()
        log.info("rules_applied", version=row.number, cases=result.cases, moved=result.moved, failed=failed)
        return await page("rules/apply.html", db, user, row=row, cases=[], deadlines=0,
                          applied=result)

    # -- one rule -----------------------------------------------------------------------------------
    async def _edit_page(self, db: AsyncSession, user: User, row: RuleVersion, rule: Rule, form: dict[str, str],
                         *, status_code: int = 200, errors: dict[str, list[str]] | None = None,
                         error: str = "", base: int | None = None) -> Template:
        return await page("rules/edit.html", db, user, status_code=status_code, row=row, rule=rule, form=form,
                          errors=errors or {}, error=error, base=row.number if base is None else base,
                          kinds=KIND_ZH, anchors=ANCHORS, audiences=[(a, AUDIENCE_ZH[a]) for a in AUDIENCES],
                          levels=LEVEL_ZH, channels=CHANNELS, limit_text=limit_text)

    @get("/{name:str}")
    async def edit_form(self, db: AsyncSession, user: User, name: str) -> Template:
        row = await latest(db)
        rule = book_of(row).rule(name)
        return await self._edit_page(db, user, row, rule, form_of(rule))

    @post("/{name:str}")
    async def edit(self, db: AsyncSession, user: User, name: str, data: Form) -> Template | Redirect:
        row = await latest(db)
        current = book_of(row).rule(name)
        form = {k: v for k, v in data.items() if k != "_csrf_token"}
        rule, errors = rule_of_form(current, data)
        reason = (data.get("reason") or "").strip()
        if not reason:
            errors["reason"] = ["请填写修改原因（将记入版本记录，并写入期限说明）"]
        elif len(reason) > REASON_CHARS:
            errors["reason"] = [f"原因不能超过{REASON_CHARS}字（现为{len(reason)}字）"]
        try:
            base = _version(data.get("base"))
        except InvalidInput as exc:
            return await self._edit_page(db, user, row, current, form, status_code=400, errors=errors,
                                         error=exc.message)
        if errors:
            return await self._edit_page(db, user, row, current, form, status_code=400, errors=errors, base=base)
        try:
            saved = await save(db, {name: rule}, base=base, origin="ui", reason=reason, actor=user.username,
                               actor_name=user.display_name)
        except Conflict as exc:
            return await self._edit_page(db, user, row, current, form, status_code=409, error=exc.message, base=base)
        except InvalidInput as exc:  # nothing changed
            return await self._edit_page(db, user, row, current, form, status_code=400, error=exc.message, base=base)
        self._audit_saved(db, user, saved, f"修改“{rule.label}”")
        await db.commit()
        return Redirect(f"/admin/rules/history?saved={saved.number}", status_code=303)
