"""Table 3 of the annual report, from request facts, against its own invariants."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.disclosure import APPLICANT_TYPES, REASON_DISPOSITION
from gongkai.report import RequestFact, check_invariants, table3

REASONS = sorted(REASON_DISPOSITION)


def test_a_small_year_by_hand():
    facts = [
        RequestFact("natural_person", date(2025, 12, 20), date(2026, 1, 10), "GRANTED", "granted"),  # carried in
        RequestFact("natural_person", date(2026, 3, 1), date(2026, 3, 20), "DENIED", "state_secret"),
        RequestFact("commercial", date(2026, 5, 1), date(2026, 5, 9), "OTHER", "correction_overdue"),
        RequestFact("legal_service", date(2026, 12, 20), None, None, None),  # carried out
        RequestFact("research", date(2025, 3, 1), date(2025, 3, 5), "GRANTED", "granted"),  # an earlier year
        RequestFact("natural_person", None, None, None, None),  # receipt not confirmed
    ]
    rows = {r.key: r.values for r in table3(facts, 2026)}
    assert rows["new"] == (1, 1, 0, 0, 1, 0, 3)
    assert rows["carried_in"] == (1, 0, 0, 0, 0, 0, 1)
    assert rows["GRANTED"] == (1, 0, 0, 0, 0, 0, 1)
    assert rows["DENIED.state_secret"] == (1, 0, 0, 0, 0, 0, 1)
    assert rows["OTHER.correction_overdue"] == (0, 1, 0, 0, 0, 0, 1)
    assert rows["total"] == (2, 1, 0, 0, 0, 0, 3)
    assert rows["carried_out"] == (0, 0, 0, 0, 1, 0, 1)
    assert check_invariants(table3(facts, 2026)) == []


def test_the_layout_has_the_national_rows():
    rows = table3([], 2026)
    labels = [r.label for r in rows]
    assert labels[0].startswith("一、") and labels[-1].startswith("四、")
    assert sum(1 for r in rows if r.values) == 2 + 2 + 8 + 3 + 5 + 3 + 1 + 1  # 25 rows of figures
    assert "8.属于行政查询事项" in labels and "3.其他" in labels


@st.composite
def facts(draw):
    received = draw(st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 12, 31))))
    concluded = None
    if received and draw(st.booleans()):
        concluded = draw(st.dates(received, date(2028, 6, 30)))
    reason = draw(st.sampled_from(REASONS))
    return RequestFact(draw(st.sampled_from(list(APPLICANT_TYPES))), received, concluded,
                       REASON_DISPOSITION[reason], reason)


@settings(max_examples=200, deadline=None)
@given(st.lists(facts(), max_size=60), st.integers(2024, 2027))
def test_every_year_balances(items, year):
    assert check_invariants(table3(items, year)) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(facts(), max_size=60), st.integers(2024, 2026))
def test_what_one_year_carries_out_the_next_carries_in(items, year):
    out = {r.key: r.values for r in table3(items, year)}["carried_out"]
    into = {r.key: r.values for r in table3(items, year + 1)}["carried_in"]
    assert out == into


def test_table2_counts_the_years_decisions_and_normative_documents_and_leaves_the_rest_to_fill_in():
    from datetime import date as day

    from gongkai.report import table2

    decisions = {"licensing": [day(2026, 3, 1), day(2025, 12, 31)], "penalty": [day(2026, 9, 25)] * 3}
    rows = {r.key: r for r in table2(decisions, [day(2026, 5, 1), day(2025, 5, 1)], 2026)}
    assert rows["licensing"].values == (1,) and rows["penalty"].values == (3,) and rows["coercion"].values == (0,)
    assert rows["normative"].values == (1, None, None)  # issued this year; repeals and documents in force not kept
    assert rows["rules"].values == (None, None, None) and rows["fees"].values == (None,)
    assert [r.block for r in rows.values()][:2] == ["第二十条第（一）项"] * 2
