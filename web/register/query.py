"""The register's query: every case of every process in one list (a UNION of the three case tables),
filtered as the search form asks and limited to what the user may see, newest first.

Who may see what is each process's own rule (web/disclosure/service.visible, web/policy.visible,
web/incident.can_view), written here again as SQL so the list can be filtered and paged in the
database; tests/web/test_register.py checks that both agree for every account and case."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, TSQUERY
from sqlalchemy.sql.elements import True_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai import fields as checks
from gongkai.clock import CST
from gongkai.disclosure import DISPOSITIONS, OPEN_STAGES
from gongkai.disclosure import STAGE_ZH as DISCLOSURE_STAGES
from gongkai.errors import InvalidInput
from gongkai.grams import contains, tsquery
from gongkai.incident import STAGE_ZH as INCIDENT_STAGES
from gongkai.lookup import ID_DOC, PHONE, LookupKeys
from gongkai.policy import STAGE_ZH as POLICY_STAGES
from gongkai.roles import WIDE_ROLES, DepartmentKind
from models import Department, DisclosureRequest, IncidentCase, PolicyCase, User

PROCESSES = {"disclosure": "依申请公开", "policy": "政策文件", "incident": "突发事件舆情"}
STAGES: dict[str, dict[str, str]] = {
    "disclosure": {str(k): v for k, v in DISCLOSURE_STAGES.items()},
    "policy": {str(k): v for k, v in POLICY_STAGES.items()},
    "incident": {str(k): v for k, v in INCIDENT_STAGES.items()},
}
CLOSED = {"disclosure": frozenset(DISCLOSURE_STAGES) - OPEN_STAGES, "policy": frozenset({"closed"}),
          "incident": frozenset({"closed"})}
STATUS_ZH = {"open": "办理中", "closed": "已办结"}
BASIS_ZH = {"submitted": "提交（登记）日期", "received": "收到日期（依申请公开）"}
TRACKING_CODE = re.compile(r"[A-Z]{2}-\d{4}-\d{6}")
MAX_WORDS = 5
COUNTED = 1_000  # matches counted exactly; more read as "more than 1,000" (search): 20 pages
TEXT_LIMIT = 100


@dataclass(frozen=True)
class Filters:
    """What the search form asks for; empty means any."""

    code: str = ""
    name: str = ""
    phone: str = ""
    id_number: str = ""
    words: str = ""
    department: int | None = None
    process: str = ""
    status: str = ""  # open, closed
    stage: str = ""  # "<process>:<stage>"
    disposition: str = ""
    basis: str = "submitted"  # which date the range is of
    date_from: date | None = None
    date_to: date | None = None

    @property
    def personal(self) -> bool:
        """Asks about an applicant: only requests have one."""
        return bool(self.name or self.phone or self.id_number or self.disposition or self.basis == "received")

    def used(self) -> list[str]:
        """The names of the filters set (what an export's audit row records: never their values,
        which may be an applicant's name or numbers)."""
        default = Filters()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]

    def form(self) -> dict[str, Any]:
        """The values as the form shows them again."""
        return {f.name: "" if getattr(self, f.name) is None else str(getattr(self, f.name)) for f in fields(self)}


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip()[:TEXT_LIMIT] if isinstance(value, str) else ""


def _day(data: dict[str, Any], name: str, what: str) -> date | None:
    value = _text(data, name)
    return checks.day(value, field=name, what=what, today=datetime.now(CST).date()) if value else None


def parse(data: dict[str, Any]) -> Filters:
    """The filters from the form; a value that cannot be used is refused beside its field."""
    process = _text(data, "process")
    if process and process not in PROCESSES:
        raise InvalidInput("请选择流程", field="process")
    status = _text(data, "status")
    if status and status not in STATUS_ZH:
        raise InvalidInput("请选择办理状态", field="status")
    stage = _text(data, "stage")
    if stage and stage.partition(":")[2] not in STAGES.get(stage.partition(":")[0], {}):
        raise InvalidInput("请选择阶段", field="stage")
    disposition = _text(data, "disposition")
    if disposition and disposition not in DISPOSITIONS:
        raise InvalidInput("请选择答复类型", field="disposition")
    basis = _text(data, "basis") or "submitted"
    if basis not in BASIS_ZH:
        raise InvalidInput("请选择日期类型", field="basis")
    department = _text(data, "department")
    if department and not department.isdigit():
        raise InvalidInput("请选择部门", field="department")
    phone, id_number = _text(data, "phone"), _text(data, "id_number")
    if phone and not any(c.isdigit() for c in phone):
        raise InvalidInput("请输入完整的电话号码", field="phone")
    date_from, date_to = _day(data, "date_from", "起始日期"), _day(data, "date_to", "截止日期")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("截止日期不能早于起始日期", field="date_to")
    return Filters(code=_text(data, "code").upper(), name=_text(data, "name"), phone=phone, id_number=id_number,
                   words=_text(data, "words"), department=int(department) if department else None, process=process,
                   status=status, stage=stage, disposition=disposition, basis=basis, date_from=date_from,
                   date_to=date_to)


@dataclass(frozen=True)
class Viewer:
    """Who searches, as the visibility rules need it."""

    department_id: int
    wide: bool  # sees every department's cases
    kind: DepartmentKind | None  # their department's kind


    def sees_request(self, department_id: int) -> bool:
        """disclosure_seen below, for one row already read."""
        return self.wide or self.kind == DepartmentKind.OPENNESS_OFFICE or department_id == self.department_id


async def viewer(db: AsyncSession, user: User) -> Viewer:
    kind = (await db.execute(select(Department.kind).where(Department.id == user.department_id))).scalar_one_or_none()
    return Viewer(user.department_id, user.role in WIDE_ROLES, DepartmentKind(kind) if kind else None)


def _member(column: Any, value: int, dialect: str) -> ColumnElement[bool]:
    """`value` is in the JSON list `column` (an incident's co-responsible departments)."""
    if dialect == "postgresql":
        return cast(column, JSONB).contains([value])
    each = func.json_each(column).table_valued("value")
    return select(each.c.value).where(each.c.value == value).exists()


def disclosure_seen(who: Viewer) -> ColumnElement[bool]:
    if who.wide or who.kind == DepartmentKind.OPENNESS_OFFICE:
        return true()
    return col(DisclosureRequest.department_id) == who.department_id


def policy_seen(who: Viewer) -> ColumnElement[bool]:
    if who.wide:
        return true()
    mine = col(PolicyCase.department_id) == who.department_id
    if who.kind == DepartmentKind.GENERAL_OFFICE:
        return or_(mine, col(PolicyCase.issuance) == "government")
    return mine


def incident_seen(who: Viewer, dialect: str) -> ColumnElement[bool]:
    if who.wide or who.kind == DepartmentKind.OPENNESS_OFFICE:
        return true()
    return or_(col(IncidentCase.department_id) == who.department_id,
               _member(IncidentCase.co_departments, who.department_id, dialect))


def _found(column: Any, term: str, grams: bool) -> ColumnElement[bool]:
    """`term` is in `column`'s text; with `grams` (PostgreSQL) first through the index of its grams
    (gongkai/grams.py), which finds every row that may hold it, then the LIKE keeps those that do."""
    asked = tsquery(term) if grams else None
    if asked is None:
        return contains(column, term)
    return and_(func.gk_grams(column).op("@@")(cast(asked, TSQUERY)), contains(column, term))


def _words(column: Any, words: str, grams: bool) -> list[ColumnElement[bool]]:
    return [_found(column, w, grams) for w in words.split()[:MAX_WORDS]]


def _instants(f: Filters) -> tuple[datetime | None, datetime | None]:
    """The Beijing days of the range as UTC instants: [first day 00:00, day after the last 00:00)."""
    start = datetime.combine(f.date_from, time(), CST).astimezone(UTC) if f.date_from else None
    end = datetime.combine(f.date_to + timedelta(days=1), time(), CST).astimezone(UTC) if f.date_to else None
    return start, end


def _common(f: Filters, process: str, id_col: Any, dept_col: Any, stage_col: Any, at_col: Any
            ) -> list[ColumnElement[bool]]:
    """What every process is filtered on the same way."""
    out: list[ColumnElement[bool]] = []
    if f.code:
        out.append(id_col == f.code if TRACKING_CODE.fullmatch(f.code) else contains(id_col, f.code))
    if f.department is not None:
        out.append(dept_col == f.department)
    if f.status:
        closed = stage_col.in_(sorted(CLOSED[process]))
        out.append(closed if f.status == "closed" else ~closed)
    if f.stage:
        wanted, _, stage = f.stage.partition(":")
        out.append(stage_col == stage if wanted == process else false())
    start, end = _instants(f)
    if f.basis == "submitted":
        if start:
            out.append(at_col >= start)
        if end:
            out.append(at_col < end)
    return out


def _kept(where: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """The conditions without a constant true: PostgreSQL keeps a branch with `WHERE true` from
    merging the branches' date indexes, and sorts a million rows for the newest fifty."""
    return [w for w in where if not isinstance(w, True_)]


def _label(process: str) -> Any:
    return literal_column(f"'{process}'", String).label("process")  # a constant: no parameter for UNION to type


def _disclosure(f: Filters, who: Viewer, keys: LookupKeys, grams: bool, brief: bool) -> Select:
    r = DisclosureRequest
    where = [disclosure_seen(who), *_common(f, "disclosure", col(r.id), col(r.department_id), col(r.stage),
                                            col(r.submitted_at)), *_words(col(r.description), f.words, grams)]
    if f.name:
        where.append(_found(col(r.applicant_name), f.name, grams))
    if f.phone:
        where.append(col(r.phone_hash).in_(keys.candidates(PHONE, f.phone)))
    if f.id_number:
        hashes = keys.candidates(ID_DOC, f.id_number)
        where.append(col(r.id_doc_hash).in_(hashes) if hashes else false())
    if f.disposition:
        where.append(col(r.disposition) == f.disposition)
    if f.basis == "received":
        if f.date_from:
            where.append(col(r.received_date) >= f.date_from)
        if f.date_to:
            where.append(col(r.received_date) <= f.date_to)
    if brief:
        return select(col(r.id).label("id"), col(r.submitted_at).label("at")).where(*_kept(where))
    return select(_label("disclosure"), col(r.id).label("id"), col(r.description).label("summary"),
                  col(r.applicant_name).label("applicant"), col(r.id_doc_type).label("id_doc_type"),
                  col(r.id_doc_number).label("id_doc_number"), col(r.contact_phone).label("phone"),
                  col(r.department_id).label("department_id"), col(r.stage).label("stage"),
                  col(r.disposition).label("disposition"), col(r.submitted_at).label("at"),
                  col(r.received_date).label("received")).where(*_kept(where))


def _other(process: str, model: Any, at: Any, where: list[ColumnElement[bool]], f: Filters, grams: bool,
           brief: bool) -> Select:
    where = [*where, *_common(f, process, col(model.id), col(model.department_id), col(model.stage), at),
             *_words(col(model.title), f.words, grams)]
    if brief:
        return select(col(model.id).label("id"), at.label("at")).where(*_kept(where))
    nothing = cast(null(), String)
    return select(_label(process), col(model.id).label("id"), col(model.title).label("summary"),
                  nothing.label("applicant"), nothing.label("id_doc_type"), nothing.label("id_doc_number"),
                  nothing.label("phone"), col(model.department_id).label("department_id"),
                  col(model.stage).label("stage"), nothing.label("disposition"), at.label("at"),
                  cast(null(), Date).label("received")).where(*_kept(where))


def query(f: Filters, who: Viewer, keys: LookupKeys, dialect: str, *, grams: bool = True,
          top: int | None = None, brief: bool = False) -> Select | None:
    """The register's rows as one subquery-able SELECT, or None when no process can match.

    `grams`: requests' text is searched through the gram index (PostgreSQL only). `top`: each process gives
    only its newest `top` rows, so each reads its own date index backwards; PostgreSQL does not
    merge the branches' indexes when a branch has a condition of its own (a department). `brief`: only
    each row's code and date (`id`, `at`)."""
    grams = grams and dialect == "postgresql"
    parts = []
    if f.process in ("", "disclosure"):
        parts.append(_disclosure(f, who, keys, grams, brief))
    if not f.personal:  # policies and incidents have no applicant, no reply, no received date
        # Policies and incidents are a few per cent of the cases: their matches are never so many
        # that the index hands over too much, and reading their dates backwards may read them all.
        pg = dialect == "postgresql"
        if f.process in ("", "policy"):
            parts.append(_other("policy", PolicyCase, col(PolicyCase.created_at), [policy_seen(who)], f, pg, brief))
        if f.process in ("", "incident"):
            parts.append(_other("incident", IncidentCase, col(IncidentCase.detected_at),
                                [incident_seen(who, dialect)], f, pg, brief))
    if not parts:
        return None
    if top is not None:
        parts = [select(p.order_by(p.selected_columns.at.desc(), p.selected_columns.id.desc()).limit(top).subquery())
                 for p in parts]
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


@dataclass(frozen=True)
class Found:
    process: str
    id: str
    summary: str
    applicant: str | None
    id_doc_type: str | None
    id_doc_number: str | None
    phone: str | None
    department_id: int
    stage: str
    disposition: str | None
    at: datetime
    received: date | None

    @property
    def closed(self) -> bool:
        return self.stage in CLOSED[self.process]


async def search(db: AsyncSession, f: Filters, who: Viewer, keys: LookupKeys, *, offset: int = 0,
                 limit: int | None = None, counted: int = COUNTED) -> tuple[int, list[Found]]:
    """(how many match, at most `counted` + 1; the rows from `offset`, at most `limit`), newest first."""
    dialect = db.get_bind().dialect.name
    found = query(f, who, keys, dialect, brief=True)
    if found is None:
        return 0, []
    # Counting a million rows costs as much as reading them: beyond `counted` the register says "more than".
    # The first `counted` + 1 matches are counted in SQL and handed over only when they are all there
    # are: reading 1,001 codes and dates into Python to count them cost a page 7 ms of CPU.
    hits = found.limit(counted + 1).cte("hits")
    n = select(func.count().label("n")).select_from(hits).cte("n")
    counted_hits = (await db.execute(
        select(n.c.n, hits.c.id, hits.c.at).select_from(n.outerjoin(hits, n.c.n <= counted)))).all()
    total = counted_hits[0].n
    if total > counted:
        # Many matches lie close together: the newest are found soonest by reading the dates backwards,
        # matching each row's text, rather than by the gram index, which would hand over every match.
        top = None if limit is None else offset + limit
        rows = query(f, who, keys, dialect, grams=False, top=top).subquery("register")  # type: ignore[union-attr]
        page = select(rows).order_by(rows.c.at.desc(), rows.c.id.desc()).offset(offset)
        if limit is not None:
            page = page.limit(limit)
    else:  # the few found are in hand: their page, read by their codes
        newest = sorted((h for h in counted_hits if h.id is not None), key=lambda h: (h.at, h.id), reverse=True)
        wanted = [h.id for h in newest[offset:None if limit is None else offset + limit]]
        if not wanted:
            return total, []
        # Without the name and words, which the codes already met: matched again, the gram index's
        # function would be computed for each row (3 ms of a page's 50 rows).
        again = replace(f, name="", words="", process=f.process or ("disclosure" if f.personal else ""))
        rows = query(again, who, keys, dialect).subquery("register")  # type: ignore[union-attr]
        page = select(rows).where(rows.c.id.in_(wanted)).order_by(rows.c.at.desc(), rows.c.id.desc())
    return total, [Found(**r._mapping) for r in (await db.execute(page)).all()]
