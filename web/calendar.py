"""The working-day calendar: a year as a month grid, and its arrangement edited or imported
by administrators, each save a new version that open deadlines are recomputed against."""

from __future__ import annotations

import json
import tomllib
from calendar import Calendar as MonthLayout
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import history, load_calendar, save_arrangement
from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.statutory import BASIS_ZH
from gongkai.workdays import FIRST_YEAR, LAST_YEAR, NATIONAL, REGIONS, Arrangement, DayInfo
from models import User
from web.actions import actor_of
from web.deps import temporal_client
from web.guards import admin_only
from web.recompute import apply_calendar
from web.render import beijing, page

MAX_IMPORT_BYTES = 256 * 1024
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


@dataclass
class Month:
    number: int
    weeks: list[list[DayInfo | None]]


def month_grid(cal, year: int) -> list[Month]:
    layout = MonthLayout(firstweekday=0)
    months = []
    for m in range(1, 13):
        weeks = [[cal.day_info(d) if d.month == m else None for d in week]
                 for week in layout.monthdatescalendar(year, m)]
        months.append(Month(m, weeks))
    return months


def _check_region_year(region: str, year: int) -> None:
    if region not in REGIONS:
        raise InvalidInput(f"未知地区：{region}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"年份超出范围：{year}（可查看{FIRST_YEAR}年至{LAST_YEAR}年）")


def parse_form(data: dict[str, str]) -> Arrangement:
    """The edit form's two text areas: `名称 开始 结束` per holiday, `日期 名称` per make-up day."""
    holidays, makeups = [], []
    for i, line in enumerate((data.get("holidays") or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) not in (2, 3):
            raise InvalidInput(f"假期第{i}行格式应为“名称 开始日期 结束日期”：{line}")
        holidays.append({"name": parts[0], "start": parts[1], "end": parts[-1]})
    for i, line in enumerate((data.get("makeups") or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise InvalidInput(f"调休上班第{i}行格式应为“日期 名称”：{line}")
        makeups.append({"date": parts[0], "name": parts[1]})
    try:
        year = int(data.get("year", ""))
    except ValueError:
        raise InvalidInput("年份无效") from None
    return Arrangement.from_mapping({
        "year": year, "region": data.get("region", NATIONAL), "notice": (data.get("notice") or "").strip(),
        "notice_number": (data.get("notice_number") or "").strip(), "issued": (data.get("issued") or "").strip()
        or None, "source": (data.get("source") or "").strip(), "holidays": holidays, "makeup_workdays": makeups,
    })


def parse_file(name: str, content: bytes) -> Arrangement:
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidInput("文件过大（不超过256KB）")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("文件必须是 UTF-8 编码的 TOML 或 JSON") from None
    try:
        data: Any = json.loads(text) if name.lower().endswith(".json") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"文件无法解析：{exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("文件内容应为一个年份的安排（对象）")
    return Arrangement.from_mapping(data)


def form_values(arrangement: Arrangement | None, year: int, region: str) -> dict[str, str]:
    if arrangement is None:
        return {"year": str(year), "region": region, "notice": "", "notice_number": "", "issued": "",
                "source": "", "holidays": "", "makeups": ""}
    return {
        "year": str(arrangement.year), "region": arrangement.region, "notice": arrangement.notice,
        "notice_number": arrangement.notice_number, "issued": arrangement.issued.isoformat() if arrangement.issued
        else "", "source": arrangement.source,
        "holidays": "\n".join(f"{h.name} {h.start.isoformat()} {h.end.isoformat()}" for h in arrangement.holidays),
        "makeups": "\n".join(f"{m.day.isoformat()} {m.name}" for m in arrangement.makeup_workdays),
    }


class CalendarController(Controller):
    path = "/calendar"
    include_in_schema = False

    async def _year_page(self, db, user, region: str, year: int, status_code=200, error=None, form=None,
                         recomputed=None):
        _check_region_year(region, year)
        cal = await load_calendar(db, region)
        national = cal.arrangement(year, NATIONAL)
        regional = cal.arrangement(year, region) if region != NATIONAL else None
        versions = await history(db, NATIONAL, year)
        if region != NATIONAL:
            versions += await history(db, region, year)
        return await page(
            "calendar/year.html", db, user, status_code=status_code, year=year, region=region, regions=REGIONS,
            months=month_grid(cal, year), covered=cal.covers(year), national=national, regional=regional,
            versions=versions, beijing=beijing, error=error, recomputed=recomputed, basis=cal.provisional_basis(year),
            statutory_basis=BASIS_ZH,
            form=form or form_values(regional if region != NATIONAL else national, year, region),
            today=datetime.now(CST).date(),
        )

    @get("/")
    async def year_view(self, db: AsyncSession, user: User, region: str = NATIONAL, year: int | None = None,
                        recomputed: int | None = None, moved: int = 0, failed: int = 0) -> Template:
        """After a save, `recomputed`/`moved`/`failed` say what the save did to open cases."""
        done = {"cases": recomputed, "moved": moved, "failed": failed} if recomputed is not None else None
        return await self._year_page(db, user, region, year or datetime.now(CST).year, recomputed=done)

    @get("/{year:int}")
    async def year_path(self, db: AsyncSession, user: User, year: int, region: str = NATIONAL) -> Template:
        """/calendar/2027: any year the calendar counts, a year without its notice marked provisional."""
        return await self._year_page(db, user, region, year)

    async def _save(self, db, state, user, arrangement: Arrangement, origin: str, note: str) -> Redirect:
        await save_arrangement(db, arrangement, origin=origin, actor=user.username, note=note)
        await db.commit()
        # The State Council's arrangement is law: every open case is recomputed now (each move audited,
        # its assignee told), through the same update a rule change uses.
        applied = await apply_calendar(await temporal_client(state), db, await actor_of(db, user))
        moved = f"&recomputed={applied.cases}&moved={applied.moved}&failed={len(applied.failed)}"
        return Redirect(f"/calendar?region={arrangement.region}&year={arrangement.year}{moved}")

    @post("/", guards=[admin_only])
    async def save_form(self, db: AsyncSession, state: State, user: User, data: Form) -> Template | Redirect:
        try:
            arrangement = parse_form(data)
        except InvalidInput as exc:
            region = data.get("region") if data.get("region") in REGIONS else NATIONAL
            year = int(data["year"]) if (data.get("year") or "").isdigit() else date.today().year
            return await self._year_page(db, user, region, year, 400, exc.message, data)
        return await self._save(db, state, user, arrangement, "ui", (data.get("note") or "").strip())

    @post("/import", guards=[admin_only])
    async def import_file(
        self, db: AsyncSession, state: State, user: User,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template | Redirect:
        upload = data.get("file")
        region = data.get("region") if data.get("region") in REGIONS else NATIONAL
        year = int(data["year"]) if str(data.get("year", "")).isdigit() else date.today().year
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInput("请选择要导入的文件（TOML 或 JSON）")
            if not upload.filename.lower().endswith((".toml", ".json")):
                raise InvalidInput("只支持 .toml 或 .json 文件")
            arrangement = parse_file(upload.filename, await upload.read(MAX_IMPORT_BYTES + 1))
        except InvalidInput as exc:
            return await self._year_page(db, user, region, year, 400, f"导入失败：{exc.message}")
        return await self._save(db, state, user, arrangement, "import", f"导入文件 {upload.filename}")
