"""Invariants of the SLA clock, on random calendars and random histories (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.clock import CST, ClockKind, ClockSpec, add_months, compute, local_date, working_days_left
from gongkai.errors import ActionNotAllowed
from gongkai.explain import explain
from gongkai.workdays import Arrangement, WorkdayCalendar

YEARS = range(2030, 2034)  # synthetic years, far from real data


@st.composite
def calendars(draw) -> WorkdayCalendar:
    arrangements = []
    for year in YEARS:
        blocks, makeups = [], []
        for i in range(draw(st.integers(0, 6))):
            start = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 350)))
            blocks.append({"name": f"H{i}", "start": start, "end": start + timedelta(days=draw(st.integers(0, 7)))})
        for _ in range(draw(st.integers(0, 4))):
            day = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 360)))
            if day.weekday() >= 5 and not any(b["start"] <= day <= b["end"] for b in blocks):
                makeups.append({"date": day, "name": "M"})
        arrangements.append(Arrangement.from_mapping(
            {"year": year, "region": "cn", "notice": "synthetic", "holidays": blocks, "makeup_workdays": makeups}))
    return WorkdayCalendar(arrangements)


def instants(lo: date = date(2030, 1, 1), hi: date = date(2031, 6, 30)):
    return st.builds(
        lambda d, minutes: datetime.combine(d, time(0), CST) + timedelta(minutes=minutes),
        st.dates(lo, hi), st.integers(0, 24 * 60 - 1),
    )


def count_working(cal: WorkdayCalendar, after: date, through: date, skip=lambda d: False) -> int:
    n, day = 0, after
    while day < through:
        day += timedelta(days=1)
        n += cal.day_info(day).working and not skip(day)
    return n


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 40))
def test_exactly_n_working_days_after_the_start_day(cal, start, n):
    due = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start), cal)
    assert cal.day_info(due.last_day).working
    assert count_working(cal, local_date(start), due.last_day) == n
    assert due.due_at == datetime.combine(due.last_day + timedelta(days=1), time(0), CST)
    assert not due.provisional


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 30), st.integers(0, 40), st.integers(0, 30))
def test_a_pause_never_makes_a_deadline_earlier(cal, start, n, pause_after, pause_days):
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start)
    before = compute(spec, cal)
    pause_at = start + timedelta(days=pause_after, hours=1)
    paused = spec.paused(pause_at)
    a, b = local_date(pause_at), local_date(pause_at + timedelta(days=pause_days))
    if before.last_day >= a:
        assert compute(paused, cal).due_at is None  # no running clock while paused (the last day included)
    else:  # the period ended before the pause date
        assert compute(paused, cal).due_at == before.due_at
    after = compute(paused.resumed(pause_at + timedelta(days=pause_days)), cal)
    assert after.due_at >= before.due_at
    if before.last_day > a:
        # Days after the pause date up to and including the resume date are not counted.
        assert count_working(cal, local_date(start), after.last_day, lambda d: a < d <= b) == n
    elif before.last_day == a:  # the edge: the office keeps the resume day
        assert after.last_day == first_working_on_or_after(cal, b)
    else:
        assert after.due_at == before.due_at


def first_working_on_or_after(cal: WorkdayCalendar, day: date) -> date:
    while not cal.day_info(day).working:
        day += timedelta(days=1)
    return day


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 30), st.integers(0, 20 * 24 * 60))
def test_a_pause_begun_on_the_last_day_leaves_the_office_the_resume_day(cal, start, n, paused_minutes):
    """design.md, Clocks: a consultation sent on day 20 does not make the case overdue the moment the
    answer comes back; the last day becomes the first working day on or after the resume date."""
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start)
    before = compute(spec, cal)
    pause_at = datetime.combine(before.last_day, time(15), CST)  # the afternoon of the last day
    paused = spec.paused(pause_at)
    assert compute(paused, cal).due_at is None and compute(paused, cal).paused
    resume_at = pause_at + timedelta(minutes=paused_minutes)
    after = compute(paused.resumed(resume_at), cal)
    expected = max(before.last_day, first_working_on_or_after(cal, local_date(resume_at)))
    assert after.last_day == expected and cal.day_info(after.last_day).working
    lines = explain(after, "zh")
    assert (expected > before.last_day) == any("为届满日，当日暂停计时" in line for line in lines)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 30), st.integers(1, 60), st.integers(0, 30))
def test_a_pause_begun_after_the_last_day_changes_nothing_and_says_so(cal, start, n, late_days, pause_days):
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start)
    before = compute(spec, cal)
    pause_at = datetime.combine(before.last_day + timedelta(days=late_days), time(10), CST)
    paused = spec.paused(pause_at)
    assert compute(paused, cal).due_at == before.due_at  # overdue stays overdue while paused
    after = compute(paused.resumed(pause_at + timedelta(days=pause_days)), cal)
    assert after.due_at == before.due_at
    assert any("暂停计时时期限已经届满" in line for line in explain(after, "zh"))
    assert any("does not move" in line for line in explain(after, "en"))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 30), st.integers(1, 20))
def test_an_extension_moves_the_due_date_across_exactly_n_working_days(cal, start, n, extra):
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start)
    before = compute(spec, cal)
    after = compute(spec.extended(extra, start + timedelta(days=1)), cal)
    assert count_working(cal, before.last_day, after.last_day) == extra


@settings(max_examples=100, deadline=None)
@given(calendars(), instants(), st.integers(1, 30), st.integers(1, 60))
def test_a_restart_is_a_fresh_period_from_the_new_date(cal, start, n, later_days):
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start).paused(start + timedelta(hours=1))
    restart_at = start + timedelta(days=later_days)
    restarted = compute(spec.restarted(restart_at), cal)
    fresh = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=restart_at), cal)
    assert restarted.due_at == fresh.due_at


@settings(max_examples=100, deadline=None)
@given(calendars(), instants(), st.integers(1, 30))
def test_more_days_is_never_sooner(cal, start, n):
    a = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n, start=start), cal)
    b = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n + 1, start=start), cal)
    assert b.due_at > a.due_at


@settings(max_examples=100, deadline=None)
@given(instants(), st.integers(1, 72), st.integers(0, 600))
def test_hours_run_day_and_night_and_pauses_add_their_length(start, n, pause_minutes):
    cal = WorkdayCalendar([])
    spec = ClockSpec(kind=ClockKind.HOURS, amount=n, start=start)
    assert compute(spec, cal).due_at == start + timedelta(hours=n)
    pause_at = start + timedelta(minutes=30)
    resumed = spec.paused(pause_at).resumed(pause_at + timedelta(minutes=pause_minutes))
    assert compute(resumed, cal).due_at == start + timedelta(hours=n, minutes=pause_minutes)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 60))
def test_calendar_days_end_on_the_next_working_day_at_the_earliest(cal, start, n):
    due = compute(ClockSpec(kind=ClockKind.CALENDAR_DAYS, amount=n, start=start), cal)
    nominal = local_date(start) + timedelta(days=n)
    assert due.last_day >= nominal and cal.day_info(due.last_day).working
    day = nominal
    while day < due.last_day:  # every day rolled over was not a working day
        assert not cal.day_info(day).working
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 14))
def test_months_use_the_corresponding_day_or_the_month_end(cal, start, n):
    due = compute(ClockSpec(kind=ClockKind.MONTHS, amount=n, start=start), cal)
    nominal = add_months(local_date(start), n)
    assert nominal.day == local_date(start).day or (nominal + timedelta(days=1)).day == 1
    assert due.last_day >= nominal and cal.day_info(due.last_day).working


def test_month_end_rule():
    assert add_months(date(2031, 1, 31), 1) == date(2031, 2, 28)
    assert add_months(date(2032, 1, 31), 1) == date(2032, 2, 29)
    assert add_months(date(2031, 11, 30), 3) == date(2032, 2, 29)


@settings(max_examples=50, deadline=None)
@given(calendars(), st.integers(1, 30))
def test_a_year_without_data_is_provisional_never_silent(cal, n):
    start = datetime(2033, 12, 20, 9, 0, tzinfo=CST)  # runs into 2034, which has no data
    due = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=n + 10, start=start), cal)
    assert due.provisional and 2034 in due.provisional_years
    assert any(s.code == "provisional" for s in due.steps)


def test_strict_lookup_refuses_a_year_without_data():
    from gongkai.errors import CalendarYearMissing

    cal = WorkdayCalendar([])
    with pytest.raises(CalendarYearMissing) as exc:
        cal.day_info(date(2031, 3, 2), strict=True)
    assert "2031" in exc.value.message


def test_moves_that_make_no_sense_are_refused():
    start = datetime(2030, 3, 1, 9, tzinfo=CST)
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=5, start=start)
    with pytest.raises(ActionNotAllowed):
        spec.resumed(start)
    with pytest.raises(ActionNotAllowed):
        spec.paused(start).paused(start + timedelta(hours=1))
    with pytest.raises(ActionNotAllowed):
        spec.paused(start - timedelta(days=1))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.sampled_from([ClockKind.WORKING_DAYS, ClockKind.CALENDAR_DAYS, ClockKind.MONTHS]))
def test_a_limit_of_zero_is_the_trigger_day_itself_working_day_or_not(cal, start, kind):
    """A same-day rule (the interpretation published with its document): 24:00 of the trigger's
    calendar day, never rolled forward, and the explanation says it is a same-day rule."""
    due = compute(ClockSpec(kind=kind, amount=0, start=start), cal)
    assert due.last_day == local_date(start) and not due.provisional
    assert due.due_at == datetime.combine(local_date(start) + timedelta(days=1), time(0), CST)
    lines = explain(due, "zh")
    assert lines[0].startswith("同日规则") and not any("当日不计入" in line for line in lines)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(1, 20))
def test_an_extension_of_a_same_day_clock_counts_working_days_after_the_trigger_day(cal, start, extra):
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=0, start=start).extended(extra, start)
    due = compute(spec, cal)
    assert cal.day_info(due.last_day).working
    assert count_working(cal, local_date(start), due.last_day) == extra
    assert due.last_day == compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=extra, start=start), cal).last_day


@settings(max_examples=150, deadline=None)
@given(calendars(), instants(), st.integers(0, 20 * 24 * 60))
def test_a_pause_on_the_trigger_day_of_a_same_day_clock_leaves_the_office_the_resume_day(cal, start, minutes):
    day = local_date(start)
    pause_at = max(start, datetime.combine(day, time(15), CST))
    paused = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=0, start=start).paused(pause_at)
    assert compute(paused, cal).paused and compute(paused, cal).due_at is None
    resume_at = pause_at + timedelta(minutes=minutes)
    after = compute(paused.resumed(resume_at), cal)
    resumed = local_date(resume_at)
    assert after.last_day == (day if resumed == day else first_working_on_or_after(cal, resumed))


@given(calendars(), st.dates(date(2029, 6, 1), date(2034, 6, 30)), st.dates(date(2029, 6, 1), date(2034, 6, 30)))
@settings(max_examples=200, deadline=None)
def test_working_days_left_counts_each_working_day_between(cal, today, last_day):
    """The running totals give what walking the days one by one gives: the working days after the
    earlier date up to the later one, negative when the last day is past (years with and without
    an arrangement alike)."""
    a, b = sorted((today, last_day))
    walked = sum(cal.day_info(a + timedelta(days=i)).working for i in range(1, (b - a).days + 1))
    assert working_days_left(cal, today, last_day) == (walked if last_day >= today else -walked)
