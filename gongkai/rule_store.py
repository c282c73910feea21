"""The office's rules as kept in SQL: numbered versions of its jurisdiction profile (models.RuleVersion).

The first read installs version 1 from the shipped profile the settings name; a release that ships
a rule the office does not have yet adds it as a new version (origin "upgrade"). Administrators
make every later version (web/rules.py). A version is never edited, so a case's `RuleBook` (its
workflow input) and the version row it came from always agree, and activities may cache them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST, UNIT_ZH, ClockKind
from gongkai.errors import Conflict, InvalidInput, NotFound
from gongkai.logs import get_logger
from gongkai.profiles import get_rule, shipped_profile
from gongkai.rules import KIND_ZH, Rule, RuleBook, Rung, rule_problems
from gongkai.settings import get_settings
from models import RuleVersion

log = get_logger(__name__)
# Versions never change: cached for the process's life (keyed by when the row was made too, so a test's
# fresh database never meets another's version of the same number).
_books: dict[tuple[str, int, str], RuleBook] = {}
FIELD_ZH = {"label": "名称", "kind": "期限类型", "amount": "期限", "source": "依据", "anchor": "起算点",
            "applies": "是否适用", "ladder": "提醒与督办"}


# -- rules as JSON ---------------------------------------------------------------------------------
def rule_json(rule: Rule) -> dict[str, Any]:
    return {"label": rule.label, "kind": rule.kind.value, "amount": rule.amount, "source": rule.source,
            "anchor": rule.anchor, "applies": rule.applies, "version": rule.version, "note": rule.note,
            "ladder": [{"when": r.when, "to": r.to, "level": r.level, "task": r.task, "channels": list(r.channels)}
                       for r in rule.ladder]}


def rule_of_json(name: str, data: dict[str, Any]) -> Rule:
    return Rule(name, data["label"], ClockKind(data["kind"]), int(data["amount"]), data["source"],
                tuple(Rung(f"{r['when']}:{r['to']}", r["when"], r["to"], int(r["level"]), bool(r["task"]),
                           tuple(r.get("channels", ()))) for r in data["ladder"]),
                data.get("anchor", ""), bool(data.get("applies", True)), int(data.get("version", 0)),
                data.get("note", ""))


def book_of(row: RuleVersion) -> RuleBook:
    key = (row.profile, row.number, row.created_at.isoformat())
    if key not in _books:
        _books[key] = RuleBook(row.profile, row.number, row.region,
                               {n: rule_of_json(n, d) for n, d in row.rules.items()})
    return _books[key]


def value_text(field: str, value: Any, kind: str = "") -> str:
    """A rule field's value as the history shows it."""
    if field == "amount":
        return f"{value}{UNIT_ZH.get(kind, '')}" if kind else str(value)
    if field == "kind":
        return KIND_ZH.get(str(value), str(value))
    if field == "applies":
        return "适用" if value else "不适用"
    if field == "ladder":
        return "；".join(Rung(f"{r['when']}:{r['to']}", r["when"], r["to"], r["level"], r["task"]).text()
                        for r in value) or "（无）"
    return str(value) or "（无）"


def changes(old: dict[str, Rule], new: dict[str, Rule]) -> list[dict[str, Any]]:
    """What differs, field by field: [{rule, label, field, from, to}] (from None: a new rule)."""
    out: list[dict[str, Any]] = []
    for name, rule in new.items():
        after = rule_json(rule)
        before = rule_json(old[name]) if name in old else None
        for field in FIELD_ZH:
            if before is None or before[field] != after[field]:
                out.append({"rule": name, "label": rule.label, "field": field,
                            "from": None if before is None else before[field], "to": after[field],
                            "kind": after["kind"]})
                if before is None:
                    break
    return out


# -- reading -----------------------------------------------------------------------------------------
async def latest(session: AsyncSession, profile: str | None = None) -> RuleVersion:
    """The version in force (installed, and brought up to the shipped rules, on first read)."""
    profile = profile or get_settings().profile
    row = (await session.execute(select(RuleVersion).where(RuleVersion.profile == profile)
                                 .order_by(col(RuleVersion.number).desc()).limit(1))).scalars().first()
    shipped = shipped_profile(profile)
    if row is None:
        note = f"随系统发布（{shipped.name}）"
        rules = {n: replace(r, version=1, note=note) for n, r in shipped.rules.items()}
        return await _insert(session, profile, 1, rules, origin="shipped", reason="安装时采用随系统发布的规则方案",
                             actor="system", actor_name="系统", name=shipped.name, region=shipped.region,
                             source=shipped.source, previous={})
    current = book_of(row).rules
    missing = {n: r for n, r in shipped.rules.items() if n not in current}
    if missing:
        note = "系统升级新增"
        rules = {**current, **{n: replace(r, version=row.number + 1, note=note) for n, r in missing.items()}}
        return await _insert(session, profile, row.number + 1, rules, origin="upgrade",
                             reason=f"系统升级新增规则：{'、'.join(r.label for r in missing.values())}",
                             actor="system", actor_name="系统", name=row.name, region=row.region, source=row.source,
                             previous=current)
    return row


async def current_book(session: AsyncSession, names: tuple[str, ...] | frozenset[str] | None = None) -> RuleBook:
    """The rules a case starting now runs by (`names`: only those its process uses)."""
    book = book_of(await latest(session))
    return book.only(names) if names is not None else book


async def version_row(session: AsyncSession, profile: str, number: int) -> RuleVersion:
    row = (await session.execute(select(RuleVersion).where(
        RuleVersion.profile == profile, RuleVersion.number == number))).scalars().first()
    if row is None:
        raise NotFound(f"规则版本不存在：{profile} 第 {number} 版")
    return row


async def rule_at(session: AsyncSession, profile: str, number: int, name: str) -> Rule:
    """A rule as a version had it, for the activities of a case that runs by it (version 0: a case
    started before versions, by the shipped national rules)."""
    if number == 0:
        return get_rule(name)
    return book_of(await version_row(session, profile, number)).rule(name)


async def versions(session: AsyncSession, profile: str | None = None) -> list[RuleVersion]:
    await latest(session, profile)
    q = select(RuleVersion).where(RuleVersion.profile == (profile or get_settings().profile))
    return list((await session.execute(q.order_by(col(RuleVersion.number).desc()))).scalars())


# -- writing ----------------------------------------------------------------------------------------
async def _insert(session: AsyncSession, profile: str, number: int, rules: dict[str, Rule], *, origin: str,
                  reason: str, actor: str, actor_name: str, name: str, region: str, source: str,
                  previous: dict[str, Rule]) -> RuleVersion:
    row = RuleVersion(profile=profile, number=number, name=name, region=region, source=source,
                      rules={n: rule_json(r) for n, r in rules.items()}, changes=changes(previous, rules),
                      origin=origin, reason=reason[:500], created_by=actor, created_by_name=actor_name[:100])
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # another process made this version first
        await session.rollback()
        if origin in {"shipped", "upgrade"}:
            return await version_row(session, profile, number)
        raise Conflict(f"规则刚被他人修改（已有第 {number} 版），请刷新页面后重新提交") from None
    await session.refresh(row)
    log.info("rules_version_saved", profile=profile, version=number, origin=origin, actor=actor)
    return row


async def save(session: AsyncSession, rules: dict[str, Rule], *, base: int, origin: str, reason: str, actor: str,
               actor_name: str) -> RuleVersion:
    """A new version with `rules` (every rule valid), made from version `base`: refused when another
    version was made since (the administrator saw `base`), or when nothing changed."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写修改原因", field="reason")
    for rule in rules.values():
        problems = rule_problems(rule)
        if problems:
            field, messages = next(iter(problems.items()))
            raise InvalidInput(f"{rule.label}：{'；'.join(messages)}", field=field.split(".")[0],
                               detail={"problems": [m for ms in problems.values() for m in ms]})
    row = await latest(session)
    if row.number != base:
        raise Conflict(f"规则已在你打开页面后被修改（当前为第 {row.number} 版），请刷新页面后重新提交")
    current = book_of(row).rules
    number = row.number + 1
    day = datetime.now(tz=CST).date().isoformat()
    note = f"{day} {actor_name or actor}修改：{reason}"
    merged = {n: current[n] if n in current and current[n].terms() == r.terms()
              else replace(r, version=number, note=note) for n, r in {**current, **rules}.items()}
    if all(n in current and current[n] is merged[n] for n in merged):
        raise InvalidInput("规则没有变化，无需保存", field="amount")
    return await _insert(session, row.profile, number, merged, origin=origin, reason=reason, actor=actor,
                         actor_name=actor_name, name=row.name, region=row.region, source=row.source,
                         previous=current)
