"""The assessment's figures for proactive disclosure (考核, rules.md D30): per department and month
of the trigger, how many items were published on time, late, or are still open (and of those, how
many are overdue). Pure: the page reads the rows, this counts them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gongkai.clock import CST


@dataclass(frozen=True)
class ItemFact:
    department_id: int
    triggered_at: datetime
    outcome: str  # met, late, cancelled, "" while open
    overdue: bool  # open and past its due instant


@dataclass
class Figures:
    department_id: int
    month: str  # 2026-09
    items: int = 0
    met: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0  # of the open ones
    cancelled: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Published on time of those published; None when none is."""
        done = self.met + self.late
        return self.met / done if done else None


@dataclass
class Totals:
    rows: list[Figures] = field(default_factory=list)

    def total(self) -> Figures:
        out = Figures(0, "合计")
        for r in self.rows:
            out.items += r.items
            out.met += r.met
            out.late += r.late
            out.open += r.open
            out.overdue += r.overdue
            out.cancelled += r.cancelled
        return out


def figures(facts: list[ItemFact]) -> Totals:
    by: dict[tuple[int, str], Figures] = {}
    for f in facts:
        month = f.triggered_at.astimezone(CST).strftime("%Y-%m")
        row = by.setdefault((f.department_id, month), Figures(f.department_id, month))
        row.items += 1
        if f.outcome == "met":
            row.met += 1
        elif f.outcome == "late":
            row.late += 1
        elif f.outcome == "cancelled":
            row.cancelled += 1
        else:
            row.open += 1
            row.overdue += 1 if f.overdue else 0
    return Totals([by[k] for k in sorted(by)])
