"""The register's query: every case of every process in one list (a UNION of the three case tables),
filtered as the search form asks and limited to what the user may see, newest first.

Who may see what is each process's own rule (web/disclosure/service.visible, web/policy.visible,
web/incident.can_view), written here again as SQL so the list can be filtered and paged in the
database; tests/web/test_register.py checks that both agree for every account and case."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, TSQUERY
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai import fields as checks
from gongkai.clock import CST
from gongkai.disclosure import DISPOSITIONS, OPEN_STAGES
from gongkai.disclosure import STAGE_ZH as DISCLOSURE_STAGES
from gongkai.errors import InvalidInput
from gongkai.grams import tsquery
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
        """`_seen` below of a request, for one row already read."""
        return self.wide or self.kind == DepartmentKind.OPENNESS_OFFICE or department_id == self.department_id


async def viewer(db: AsyncSession, user: User) -> Viewer:
    kind = (await db.execute(select(Department.kind).where(Department.id == user.department_id))).scalar_one_or_none()
    return Viewer(user.department_id, user.role in WIDE_ROLES, DepartmentKind(kind) if kind else None)


def viewer_among(user: User, departments: list[Department]) -> Viewer:
    """`viewer`, from the departments a page has read already."""
    kind = next((d.kind for d in departments if d.id == user.department_id), None)
    return Viewer(user.department_id, user.role in WIDE_ROLES, DepartmentKind(kind) if kind else None)


# The statements are built once per shape of search (which filters are set, how each term is matched,
# who searches) with the values as parameters: building them anew cost a search page more CPU than
# PostgreSQL spent running them. `_plan` decides the shape and the values; the builders below read only
# the shape and name each value by its parameter.

@dataclass(frozen=True)
class Term:
    """How a searched term is matched: through the gram index when it holds grams, and folding case
    when it has letters that have one (gongkai.grams.contains)."""

    indexed: bool
    folded: bool


@dataclass(frozen=True)
class Shape:
    processes: tuple[str, ...]
    wide: bool  # the viewer's: Viewer.wide and kind
    kind: DepartmentKind | None
    code: str = ""  # "exact" (a whole tracking code) or "part"
    code_folded: bool = False
    name: Term | None = None
    words: tuple[Term, ...] = ()
    phone: bool = False
    id_number: str = ""  # "hashed", or "none" when the number cannot be hashed: nothing matches
    department: bool = False
    status: str = ""
    stage: str = ""  # the process the stage asked is of
    disposition: bool = False
    basis: str = "submitted"
    date_from: bool = False
    date_to: bool = False


def _term(term: str) -> Term:
    return Term(tsquery(term) is not None, term.lower() != term.upper())


def _like(term: str) -> str:
    """The LIKE pattern of `term` matched literally: % and _ typed in a search box are not wildcards."""
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _plan(f: Filters, who: Viewer, keys: LookupKeys) -> tuple[Shape, dict[str, Any]]:
    values: dict[str, Any] = {"viewer_department": who.department_id, "viewer_departments": [who.department_id]}
    processes = [p for p in PROCESSES if f.process in ("", p) and (p == "disclosure" or not f.personal)]
    code = ""
    if f.code:
        code = "exact" if TRACKING_CODE.fullmatch(f.code) else "part"
        values["code"] = f.code if code == "exact" else _like(f.code)
    words = f.words.split()[:MAX_WORDS]
    for i, word in enumerate(words):
        values[f"word{i}"], values[f"word{i}_grams"] = _like(word), tsquery(word)
    if f.name:
        values["name"], values["name_grams"] = _like(f.name), tsquery(f.name)
    id_hashes = keys.candidates(ID_DOC, f.id_number) if f.id_number else []
    if f.phone:
        values["phone"] = keys.candidates(PHONE, f.phone)
    if id_hashes:
        values["id_number"] = id_hashes
    start, end = _instants(f)
    values.update(department=f.department, stage=f.stage.partition(":")[2], disposition=f.disposition,
                  start=start, end=end, received_from=f.date_from, received_to=f.date_to)
    shape = Shape(
        tuple(processes), who.wide, who.kind, code=code, code_folded=f.code.lower() != f.code.upper(),
        name=_term(f.name) if f.name else None, words=tuple(_term(w) for w in words), phone=bool(f.phone),
        id_number=("hashed" if id_hashes else "none") if f.id_number else "", department=f.department is not None,
        status=f.status, stage=f.stage.partition(":")[0], disposition=bool(f.disposition), basis=f.basis,
        date_from=f.date_from is not None, date_to=f.date_to is not None)
    return shape, values


def _param(name: str, type_: Any = None, *, expanding: bool = False) -> Any:
    """The value named `name` (`_plan`); compared with a column, it takes the column's type."""
    return bindparam(name, type_=type_, expanding=expanding)


def _holds(column: Any, name: str, folded: bool) -> ColumnElement[bool]:
    """gongkai.grams.contains, the term's pattern given as the parameter `name`."""
    pattern = _param(name, String)
    return column.ilike(pattern, escape="/") if folded else column.like(pattern, escape="/")


def _found(column: Any, name: str, term: Term, grams: bool) -> ColumnElement[bool]:
    """The term (parameter `name`) is in `column`'s text; with `grams` (PostgreSQL) first through the
    index of its grams (gongkai/grams.py), which finds every row that may hold it, then the LIKE keeps
    those that do."""
    if not (grams and term.indexed):
        return _holds(column, name, term.folded)
    return and_(func.gk_grams(column).op("@@")(cast(_param(f"{name}_grams", String), TSQUERY)),
                _holds(column, name, term.folded))


def _words(column: Any, s: Shape, grams: bool) -> list[ColumnElement[bool]]:
    return [_found(column, f"word{i}", term, grams) for i, term in enumerate(s.words)]


def _member(column: Any, dialect: str) -> ColumnElement[bool]:
    """The viewer's department is in the JSON list `column` (an incident's co-responsible departments)."""
    if dialect == "postgresql":
        return cast(column, JSONB).contains(_param("viewer_departments", JSONB))
    each = func.json_each(column).table_valued("value")
    return select(each.c.value).where(each.c.value == _param("viewer_department", Integer)).exists()


def _seen(s: Shape, process: str, model: Any, dialect: str) -> list[ColumnElement[bool]]:
    """Who may see which case, each process's own rule (see the module's docstring)."""
    if s.wide or (s.kind == DepartmentKind.OPENNESS_OFFICE and process != "policy"):
        return []
    mine = col(model.department_id) == _param("viewer_department")
    if process == "policy" and s.kind == DepartmentKind.GENERAL_OFFICE:
        return [or_(mine, col(PolicyCase.issuance) == "government")]
    if process == "incident":
        return [or_(mine, _member(IncidentCase.co_departments, dialect))]
    return [mine]


def _instants(f: Filters) -> tuple[datetime | None, datetime | None]:
    """The Beijing days of the range as UTC instants: [first day 00:00, day after the last 00:00)."""
    start = datetime.combine(f.date_from, time(), CST).astimezone(UTC) if f.date_from else None
    end = datetime.combine(f.date_to + timedelta(days=1), time(), CST).astimezone(UTC) if f.date_to else None
    return start, end


def _common(s: Shape, process: str, id_col: Any, dept_col: Any, stage_col: Any, at_col: Any
            ) -> list[ColumnElement[bool]]:
    """What every process is filtered on the same way."""
    out: list[ColumnElement[bool]] = []
    if s.code == "exact":
        out.append(id_col == _param("code"))
    elif s.code == "part":
        out.append(_holds(id_col, "code", s.code_folded))
    if s.department:
        out.append(dept_col == _param("department"))
    if s.status:
        closed = stage_col.in_(sorted(CLOSED[process]))
        out.append(closed if s.status == "closed" else ~closed)
    if s.stage:
        out.append(stage_col == _param("stage") if s.stage == process else false())
    if s.basis == "submitted":
        if s.date_from:
            out.append(at_col >= _param("start"))
        if s.date_to:
            out.append(at_col < _param("end"))
    return out


def _label(process: str) -> Any:
    return literal_column(f"'{process}'", String).label("process")  # a constant: no parameter for UNION to type


def _disclosure(s: Shape, dialect: str, grams: bool, brief: bool) -> Select:
    r = DisclosureRequest
    where = [*_seen(s, "disclosure", r, dialect), *_common(s, "disclosure", col(r.id), col(r.department_id),
                                                           col(r.stage), col(r.submitted_at)),
             *_words(col(r.description), s, grams)]
    if s.name:
        where.append(_found(col(r.applicant_name), "name", s.name, grams))
    if s.phone:
        where.append(col(r.phone_hash).in_(_param("phone", String, expanding=True)))
    if s.id_number:
        where.append(col(r.id_doc_hash).in_(_param("id_number", String, expanding=True))
                     if s.id_number == "hashed" else false())
    if s.disposition:
        where.append(col(r.disposition) == _param("disposition"))
    if s.basis == "received":
        if s.date_from:
            where.append(col(r.received_date) >= _param("received_from"))
        if s.date_to:
            where.append(col(r.received_date) <= _param("received_to"))
    if brief:
        return select(col(r.id).label("id"), col(r.submitted_at).label("at")).where(*where)
    return select(_label("disclosure"), col(r.id).label("id"), col(r.description).label("summary"),
                  col(r.applicant_name).label("applicant"), col(r.id_doc_type).label("id_doc_type"),
                  col(r.id_doc_number).label("id_doc_number"), col(r.contact_phone).label("phone"),
                  col(r.department_id).label("department_id"), col(r.stage).label("stage"),
                  col(r.disposition).label("disposition"), col(r.submitted_at).label("at"),
                  col(r.received_date).label("received")).where(*where)


def _other(s: Shape, process: str, model: Any, at: Any, dialect: str, brief: bool) -> Select:
    # Policies and incidents are a few per cent of the cases: their matches are never so many that
    # the index hands over too much, and reading their dates backwards may read them all.
    where = [*_seen(s, process, model, dialect),
             *_common(s, process, col(model.id), col(model.department_id), col(model.stage), at),
             *_words(col(model.title), s, dialect == "postgresql")]
    if brief:
        return select(col(model.id).label("id"), at.label("at")).where(*where)
    nothing = cast(null(), String)
    return select(_label(process), col(model.id).label("id"), col(model.title).label("summary"),
                  nothing.label("applicant"), nothing.label("id_doc_type"), nothing.label("id_doc_number"),
                  nothing.label("phone"), col(model.department_id).label("department_id"),
                  col(model.stage).label("stage"), nothing.label("disposition"), at.label("at"),
                  cast(null(), Date).label("received")).where(*where)


@lru_cache(maxsize=512)
def _statement(s: Shape, dialect: str, grams: bool, top: bool, brief: bool) -> Select | None:
    """The register's rows of one shape as one subquery-able SELECT, or None when no process can match.

    `grams`: requests' text is searched through the gram index (PostgreSQL only). `top`: each process gives
    only its newest rows (the parameter `top`), so each reads its own date index backwards; PostgreSQL does
    not merge the branches' indexes when a branch has a condition of its own (a department). `brief`: only
    each row's code and date (`id`, `at`)."""
    grams = grams and dialect == "postgresql"
    parts = []
    if "disclosure" in s.processes:
        parts.append(_disclosure(s, dialect, grams, brief))
    if "policy" in s.processes:
        parts.append(_other(s, "policy", PolicyCase, col(PolicyCase.created_at), dialect, brief))
    if "incident" in s.processes:
        parts.append(_other(s, "incident", IncidentCase, col(IncidentCase.detected_at), dialect, brief))
    if not parts:
        return None
    if not brief:
        assert all(tuple(p.selected_columns.keys()) == FOUND for p in parts), "search reads rows as Found's fields"
    if top:
        newest = _param("top", Integer)
        parts = [select(p.order_by(p.selected_columns.at.desc(), p.selected_columns.id.desc()).limit(newest)
                        .subquery()) for p in parts]
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def query(f: Filters, who: Viewer, keys: LookupKeys, dialect: str, *, grams: bool = True,
          top: int | None = None, brief: bool = False) -> Select | None:
    """The register's rows as `_statement` gives them, with this search's values bound (for a caller that
    needs the statement whole; `search` passes the values at execution)."""
    shape, values = _plan(f, who, keys)
    found = _statement(shape, dialect, grams, top is not None, brief)
    return None if found is None else found.params(**values, top=top)


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


FOUND = tuple(f.name for f in fields(Found))


@lru_cache(maxsize=512)
def _counted(s: Shape, dialect: str) -> Select | None:
    """How many match, up to the parameter `counted` + 1, and their codes and dates only when they
    are all there are: counting a million rows costs as much as reading them, and reading 1,001 codes
    and dates into Python to count them cost a page 7 ms of CPU."""
    found = _statement(s, dialect, True, False, True)
    if found is None:
        return None
    counted = _param("counted", Integer)
    hits = found.limit(counted + 1).cte("hits")
    n = select(func.count().label("n")).select_from(hits).cte("n")
    return select(n.c.n, hits.c.id, hits.c.at).select_from(n.outerjoin(hits, n.c.n <= counted))


@lru_cache(maxsize=512)
def _newest(s: Shape, dialect: str, paged: bool) -> Select:
    """The newest matches, from the parameter `offset` (at most `limit` with `paged`), found by reading
    each process's dates backwards."""
    rows = _statement(s, dialect, False, paged, False).subquery("register")  # type: ignore[union-attr]
    page = select(rows).order_by(rows.c.at.desc(), rows.c.id.desc()).offset(_param("offset", Integer))
    return page.limit(_param("limit", Integer)) if paged else page


@lru_cache(maxsize=512)
def _by_codes(s: Shape, dialect: str) -> Select:
    """The rows of the codes in the parameter `wanted`, newest first."""
    rows = _statement(s, dialect, True, False, False).subquery("register")  # type: ignore[union-attr]
    return select(rows).where(rows.c.id.in_(_param("wanted", String, expanding=True))).order_by(
        rows.c.at.desc(), rows.c.id.desc())


async def search(db: AsyncSession, f: Filters, who: Viewer, keys: LookupKeys, *, offset: int = 0,
                 limit: int | None = None, counted: int = COUNTED) -> tuple[int, list[Found]]:
    """(how many match, at most `counted` + 1; the rows from `offset`, at most `limit`), newest first."""
    dialect = db.get_bind().dialect.name
    shape, values = _plan(f, who, keys)
    count = _counted(shape, dialect)
    if count is None:
        return 0, []
    counted_hits = (await db.execute(count, {**values, "counted": counted})).all()
    total = counted_hits[0].n
    if total > counted:
        # Many matches lie close together: the newest are found soonest by reading the dates backwards,
        # matching each row's text, rather than by the gram index, which would hand over every match.
        top = None if limit is None else offset + limit
        page = _newest(shape, dialect, limit is not None)
        found = await db.execute(page, {**values, "top": top, "offset": offset, "limit": limit})
    else:  # the few found are in hand: their page, read by their codes
        newest = sorted((h for h in counted_hits if h.id is not None), key=lambda h: (h.at, h.id), reverse=True)
        wanted = [h.id for h in newest[offset:None if limit is None else offset + limit]]
        if not wanted:
            return total, []
        # Without the name and words, which the codes already met: matched again, the gram index's
        # function would be computed for each row (3 ms of a page's 50 rows).
        again, _ = _plan(replace(f, name="", words="", process=f.process or ("disclosure" if f.personal else "")),
                         who, keys)
        found = await db.execute(_by_codes(again, dialect), {**values, "wanted": wanted})
    return total, [Found(*r) for r in found.all()]  # the columns in Found's order (_statement): no mapping per row
