"""The annual report's table 3 (收到和处理政府信息公开申请情况, 国办公开办函〔2021〕30号), computed
from the requests, with the table's own invariants checked; and table 2 (主动公开政府信息情况) where
the publication items and policy documents hold the figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gongkai.disclosure import APPLICANT_TYPES, DISPOSITIONS

COLUMNS = list(APPLICANT_TYPES)  # natural_person, then the five kinds of organisation
COLUMN_LABELS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
GROUP_LABELS = {"GRANTED": "（一）予以公开", "PARTIAL": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
                "DENIED": "（三）不予公开", "UNABLE": "（四）无法提供", "NOT_PROCESSED": "（五）不予处理",
                "OTHER": "（六）其他处理"}


@dataclass(frozen=True)
class RequestFact:
    """What table 3 needs of one request."""

    applicant_type: str
    received: date | None  # None: receipt not yet confirmed, not counted
    concluded: date | None  # replied, withdrawn or deemed abandoned
    disposition: str | None
    reason: str | None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: tuple[int, ...]  # one per applicant column, then the total
    indent: int = 0


def _row(key: str, label: str, counts: dict[str, int], indent: int = 0) -> Row:
    values = tuple(counts.get(c, 0) for c in COLUMNS)
    return Row(key, label, (*values, sum(values)), indent)


def table3(facts: list[RequestFact], year: int) -> list[Row]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    new: dict[str, int] = {}
    carried_in: dict[str, int] = {}
    carried_out: dict[str, int] = {}
    outcome: dict[tuple[str, str], dict[str, int]] = {}
    for f in facts:
        if f.received is None or f.received > end:
            continue
        if f.concluded is not None and f.concluded < start:
            continue  # concluded in an earlier year
        col = f.applicant_type
        bucket = new if f.received >= start else carried_in
        bucket[col] = bucket.get(col, 0) + 1
        if f.concluded is not None and f.concluded <= end:
            key = (f.disposition or "OTHER", f.reason or "other")
            outcome.setdefault(key, {})[col] = outcome.setdefault(key, {}).get(col, 0) + 1
        else:
            carried_out[col] = carried_out.get(col, 0) + 1
    rows = [_row("new", "一、本年新收政府信息公开申请数量", new),
            _row("carried_in", "二、上年结转政府信息公开申请数量", carried_in)]
    total: dict[str, int] = {}
    for disposition, (_label, reasons) in DISPOSITIONS.items():
        if len(reasons) == 1:
            counts = outcome.get((disposition, reasons[0].code), {})
            rows.append(_row(disposition, GROUP_LABELS[disposition], counts, 1))
        else:
            rows.append(Row(disposition, GROUP_LABELS[disposition], (), 1))
            for i, reason in enumerate(reasons, 1):
                counts = outcome.get((disposition, reason.code), {})
                rows.append(_row(f"{disposition}.{reason.code}", f"{i}.{reason.label}", counts, 2))
        for reason in reasons:
            for c, n in outcome.get((disposition, reason.code), {}).items():
                total[c] = total.get(c, 0) + n
    rows.append(_row("total", "（七）总计", total, 1))
    rows.append(_row("carried_out", "四、结转下年度继续办理", carried_out))
    rows.insert(2, Row("results", "三、本年度办理结果", ()))
    return rows


def check_invariants(rows: list[Row]) -> list[str]:
    """The table's 勾稽关系; an empty list when it balances."""
    by = {r.key: r.values for r in rows if r.values}
    problems = []
    for i, label in enumerate(COLUMN_LABELS):
        if by["new"][i] + by["carried_in"][i] != by["total"][i] + by["carried_out"][i]:
            problems.append(f"{label}：一+二 ≠ 七+四")
        outcome_sum = sum(v[i] for k, v in by.items() if k in DISPOSITIONS or "." in k)
        if outcome_sum != by["total"][i]:
            problems.append(f"{label}：（七）总计 ≠ 各项办理结果之和")
    for r in rows:
        if r.values and sum(r.values[:-1]) != r.values[-1]:
            problems.append(f"{r.label}：总计 ≠ 各类申请人之和")
    return problems


# -- table 2: 主动公开政府信息情况 -------------------------------------------------------------------------
TABLE2_COLUMNS = {"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
                  "decisions": "本年处理决定数量", "fees": "本年收费金额（单位：万元）"}


@dataclass(frozen=True)
class Table2Row:
    key: str
    block: str  # 第二十条第（一）项 …
    label: str
    columns: tuple[str, ...]  # TABLE2_COLUMNS keys
    values: tuple[int | None, ...]  # None: not recorded in this system (the office fills it in)


def table2(decisions: dict[str, list[date]], normative_issued: list[date], year: int) -> list[Table2Row]:
    """From the year's publication items (decisions by kind: licensing, penalty, coercion, each
    item's trigger date) and normative documents published. What Gongkai does not record (rules
    issued, repeals, documents in force, fee amounts) stays None, to be filled in by the office."""
    def count(days: list[date]) -> int:
        return sum(1 for d in days if d.year == year)

    def made(kind: str) -> tuple[int | None, ...]:
        return (count(decisions.get(kind, [])),)

    return [
        Table2Row("rules", "第二十条第（一）项", "规章", ("issued", "repealed", "in_force"), (None, None, None)),
        Table2Row("normative", "第二十条第（一）项", "行政规范性文件", ("issued", "repealed", "in_force"),
                  (count(normative_issued), None, None)),
        Table2Row("licensing", "第二十条第（五）项", "行政许可", ("decisions",), made("licensing")),
        Table2Row("penalty", "第二十条第（六）项", "行政处罚", ("decisions",), made("penalty")),
        Table2Row("coercion", "第二十条第（六）项", "行政强制", ("decisions",), made("coercion")),
        Table2Row("fees", "第二十条第（八）项", "行政事业性收费", ("fees",), (None,)),
    ]
