"""The assessment's figures: per department and month, on time, late, open and overdue."""

from gongkai.publication_stats import ItemFact, figures


def test_items_are_counted_by_department_and_month_of_their_trigger():
    sept, octo = "2026-09", "2026-10"
    facts = [ItemFact(1, sept, "met", False), ItemFact(1, sept, "late", False), ItemFact(1, sept, "", True),
             ItemFact(1, octo, "", False), ItemFact(2, sept, "cancelled", False), ItemFact(1, sept, "met", False)]
    totals = figures(facts)
    rows = {(r.department_id, r.month): r for r in totals.rows}
    assert list(rows) == [(1, "2026-09"), (1, "2026-10"), (2, "2026-09")]
    s = rows[(1, "2026-09")]
    assert (s.items, s.met, s.late, s.open, s.overdue) == (4, 2, 1, 1, 1)
    assert s.on_time_rate == 2 / 3 and rows[(1, "2026-10")].on_time_rate is None
    t = totals.total()
    assert (t.items, t.met, t.late, t.open, t.overdue, t.cancelled) == (6, 2, 1, 2, 1, 1)
