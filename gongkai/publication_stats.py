"""The assessment's figures for proactive disclosure (考核, rules.md D30): per department and month
of the trigger, how many items were published on time, late, or are still open (and of those, how
many are overdue). Pure: the page reads the rows, this counts them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemFact:
    """Items alike (the page counts them in SQL, grouped): `count` of them."""

    department_id: int
    month: str  # of the trigger, Beijing time: 2026-09
    outcome: str  # met, late, cancelled, "" while open
    overdue: bool  # open and past its due instant
    count: int = 1


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
        row = by.setdefault((f.department_id, f.month), Figures(f.department_id, f.month))
        row.items += f.count
        if f.outcome == "met":
            row.met += f.count
        elif f.outcome == "late":
            row.late += f.count
        elif f.outcome == "cancelled":
            row.cancelled += f.count
        else:
            row.open += f.count
            row.overdue += f.count if f.overdue else 0
    return Totals([by[k] for k in sorted(by)])
