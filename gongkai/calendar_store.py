"""The working-day calendar as kept in the database: one row per version of a year's
arrangement; the newest version of each (region, year) is in force."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.errors import InvalidInput
from gongkai.workdays import NATIONAL, Arrangement, WorkdayCalendar, bundled_arrangements
from models import AuditEvent, CalendarVersion

_cache: dict[tuple[str, int, int], WorkdayCalendar] = {}


def _current_rows_query(region: str):
    regions = {NATIONAL, region}
    latest = (
        select(CalendarVersion.region, CalendarVersion.year, func.max(CalendarVersion.version).label("v"))
        .where(col(CalendarVersion.region).in_(regions))
        .group_by(col(CalendarVersion.region), col(CalendarVersion.year))
        .subquery()
    )
    return select(CalendarVersion).join(
        latest,
        (col(CalendarVersion.region) == latest.c.region)
        & (col(CalendarVersion.year) == latest.c.year)
        & (col(CalendarVersion.version) == latest.c.v),
    )


_STAMP = select(func.count(col(CalendarVersion.id)), func.coalesce(func.max(col(CalendarVersion.id)), 0))


def _build(rows: list[CalendarVersion], region: str) -> WorkdayCalendar:
    return WorkdayCalendar([Arrangement.from_mapping(r.data) for r in rows], region)


async def load_calendar(session: AsyncSession, region: str = NATIONAL) -> WorkdayCalendar:
    """The calendar in force. Cached until a new version is saved (any process)."""
    count, max_id = (await session.execute(_STAMP)).one()
    key = (region, count, max_id)
    if key not in _cache:
        rows = list((await session.execute(_current_rows_query(region))).scalars())
        _cache.clear()
        _cache[key] = _build(rows, region)
    return _cache[key]


def load_calendar_sync(region: str = NATIONAL, *, required: bool = False) -> WorkdayCalendar | None:
    """For the CLI: the database's calendar if the database is set up, else None."""
    from sqlalchemy.exc import SQLAlchemyError

    from gongkai.database import sync_session
    from gongkai.settings import get_settings

    settings = get_settings()
    if settings.is_sqlite and not required:
        from pathlib import Path

        if not Path(settings.sync_database_url.removeprefix("sqlite:///")).exists():
            return None
    try:
        with sync_session() as session:
            rows = list(session.execute(_current_rows_query(region)).scalars())
    except SQLAlchemyError:
        if required:
            raise InvalidInput("数据库不可用或尚未初始化（请先运行 gongkai migrate）") from None
        return None
    if not rows:
        if required:
            raise InvalidInput("数据库中没有日历数据（请先运行 gongkai seed）")
        return None
    return _build(rows, region)


async def current_versions(session: AsyncSession, region: str) -> list[CalendarVersion]:
    return list((await session.execute(_current_rows_query(region))).scalars())


async def history(session: AsyncSession, region: str, year: int) -> list[CalendarVersion]:
    q = (
        select(CalendarVersion)
        .where(CalendarVersion.region == region, CalendarVersion.year == year)
        .order_by(col(CalendarVersion.version).desc())
    )
    return list((await session.execute(q)).scalars())


async def save_arrangement(
    session: AsyncSession, arrangement: Arrangement, *, origin: str, actor: str, note: str = ""
) -> CalendarVersion:
    """Store a new version of one year's arrangement and audit it. Caller commits."""
    if origin not in {"bundled", "ui", "import"}:
        raise InvalidInput(f"未知来源：{origin}")
    q = select(func.coalesce(func.max(CalendarVersion.version), 0)).where(
        CalendarVersion.region == arrangement.region, CalendarVersion.year == arrangement.year
    )
    version = (await session.execute(q)).scalar_one() + 1
    row = CalendarVersion(
        region=arrangement.region, year=arrangement.year, version=version, data=arrangement.to_mapping(),
        origin=origin, note=note[:500], created_by=actor,
    )
    session.add(row)
    session.add(AuditEvent(
        key=f"calendar/{arrangement.region}/{arrangement.year}/v{version}",
        case_id="calendar", actor=actor, action="calendar_version_saved",
        summary=f"{arrangement.year}年节假日安排（{arrangement.region}）保存为第{version}版",
        detail={"region": arrangement.region, "year": arrangement.year, "version": version,
                "origin": origin, "note": note[:500]},
    ))
    return row


def seed_bundled(session: Session) -> int:
    """Load the repository's arrangements as version 1 where a (region, year) has none yet."""
    existing = {(r, y) for r, y in session.execute(select(CalendarVersion.region, CalendarVersion.year))}
    added = 0
    for arrangement in bundled_arrangements():
        if (arrangement.region, arrangement.year) in existing:
            continue
        session.add(CalendarVersion(
            region=arrangement.region, year=arrangement.year, version=1, data=arrangement.to_mapping(),
            origin="bundled", note=arrangement.notice_number, created_by="system",
        ))
        added += 1
    return added
