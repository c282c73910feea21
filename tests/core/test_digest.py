"""The daily digest's text, composed from task rows: by urgency as the inbox counts it, a head's
overdue work, a supervisor's escalations, one line group per case with its link; nothing to say,
no message."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gongkai.clock import CST
from gongkai.digest import BODY_CHARS, LINES, Item, compose, digest_at
from gongkai.workdays import bundled_calendar

DAY = date(2026, 12, 2)  # a Wednesday
NOW = digest_at(DAY)
CAL = bundled_calendar()
BASE = "https://gk.example.gov.cn"


def _midnight(d: date) -> datetime:
    """24:00 of the day before `d`: how a day clock's due instant is stored."""
    return datetime(d.year, d.month, d.day, tzinfo=CST)


def _task(n: int, due: datetime | None, kind: str = "stage:handle", process: str = "disclosure") -> Item:
    case_id = f"DR-2026-{n:06d}"
    return Item(case_id, process, kind, f"办理答复 {case_id}", due)


def test_the_time_is_half_past_eight_in_beijing():
    assert NOW.astimezone(CST) == datetime(2026, 12, 2, 8, 30, tzinfo=CST)


def test_an_officers_tasks_by_urgency_with_counts_and_links():
    todo = [
        _task(4, _midnight(date(2026, 12, 20))),  # far off: 其他
        _task(3, _midnight(date(2026, 12, 5))),  # Friday 24:00: two working days left, 即将到期
        _task(2, _midnight(date(2026, 12, 3))),  # today 24:00: 今日到期
        _task(1, _midnight(date(2026, 12, 2))),  # yesterday 24:00: 已超期 1 working day
        _task(5, None),  # no clock: 其他
        Item("IN-2026-000001", "incident", "stage:incident_release", "权威发布：突发事件 河道污染",
             NOW + timedelta(hours=2)),  # an hour clock, two hours to go: 即将到期
    ]
    d = compose(7, todo, day=DAY, now=NOW, cal=CAL, link_base=BASE)
    assert d is not None and d.user_id == 7
    assert d.title == "每日待办摘要（12月2日）：已超期1项，今日到期1项"
    lines = d.body.splitlines()
    assert lines[0] == "截至 12月2日 08:30（北京时间）："
    assert "【我的待办】共 6 项：已超期 1，今日到期 1，即将到期 2，其他 2" in lines
    # Most urgent first, under their urgency's heading; each with what is due, when, and a link.
    headings = [line for line in lines if line.split("（")[0] in {"已超期", "今日到期", "即将到期", "其他"}]
    assert headings == ["已超期（1）", "今日到期（1）", "即将到期（2）", "其他（2）"]
    at = lines.index("已超期（1）")
    assert lines[at + 1:at + 4] == ["· 办理答复 DR-2026-000001", "  截止 2026-12-01 24:00，已超期 1 个工作日",
                                    f"  {BASE}/disclosure/DR-2026-000001"]
    assert "  截止 2026-12-02 24:00，今日到期" in lines
    assert "  截止 2026-12-04 24:00，剩余 2 个工作日" in lines
    assert "  截止 2026-12-02 10:30，剩余 2小时00分" in lines  # the hour clock counts hours
    assert f"  {BASE}/incidents/IN-2026-000001" in lines
    assert "  未定截止时间" in lines
    assert d.summary == "待办 6 项（已超期 1，今日到期 1，即将到期 2，其他 2）。详见待办列表。"
    assert d.link == f"{BASE}/inbox"


def test_a_weekend_between_counts_working_days():
    # Due Tuesday 12-08 24:00, seen on Friday 12-04: two working days (Monday, Tuesday; not the weekend).
    friday = digest_at(date(2026, 12, 4))
    d = compose(1, [_task(1, _midnight(date(2026, 12, 9)))], day=date(2026, 12, 4), now=friday, cal=CAL,
                link_base=BASE)
    assert d is not None and "即将到期（1）" in d.body and "剩余 2 个工作日" in d.body


def test_nothing_to_report_is_no_message():
    assert compose(1, [], day=DAY, now=NOW, cal=CAL, link_base=BASE) is None
    # A head whose department's work is all in time has nothing either.
    in_time = [_task(1, _midnight(date(2026, 12, 10)))]
    assert compose(1, [], day=DAY, now=NOW, cal=CAL, link_base=BASE, department_overdue=in_time) is None


def test_a_heads_overdue_department_work_and_a_supervisors_escalations():
    late = [_task(1, _midnight(date(2026, 12, 1))), _task(2, _midnight(date(2026, 12, 2)))]
    d = compose(2, [], day=DAY, now=NOW, cal=CAL, link_base=BASE, department_overdue=late)
    assert d is not None and d.title == "每日待办摘要（12月2日）：本部门超期2项"
    assert "【本部门超期事项】共 2 项" in d.body and "【我的待办】" not in d.body
    assert "已超期 2 个工作日" in d.body and d.summary == "本部门超期 2 项。详见待办列表。"

    # Two escalation rows of one case (two rungs of its clock) are one 督办 matter, as on the home page.
    due = _midnight(date(2026, 11, 28))
    up = "escalation:supervisor"
    escalations = [
        Item("DR-2026-000009", "disclosure", up, "督办：【已超期】依申请公开 DR-2026-000009：答复期限", due),
        Item("DR-2026-000009", "disclosure", up, "督办：【已到期】依申请公开 DR-2026-000009：答复期限", due),
        Item("PD-2026-000003", "policy", up, "督办：【已超期】政策文件 关于老旧小区改造：解读期限", due),
    ]
    d = compose(3, escalations, day=DAY, now=NOW, cal=CAL, link_base=BASE)
    assert d is not None and d.title == "每日待办摘要（12月2日）：督办2项"
    assert "【督办事项】共 2 项" in d.body and "【我的待办】" not in d.body
    assert f"  {BASE}/disclosure/DR-2026-000009" in d.body.splitlines()
    # A title without the case's number gets it in front.
    assert "· PD-2026-000003 督办：【已超期】政策文件 关于老旧小区改造：解读期限" in d.body.splitlines()
    assert f"  {BASE}/policy/PD-2026-000003" in d.body.splitlines()


def test_a_long_list_shows_the_first_ten_and_counts_the_rest():
    todo = [_task(n, _midnight(date(2026, 11, 1)) + timedelta(hours=n)) for n in range(1, 26)]
    d = compose(1, todo, day=DAY, now=NOW, cal=CAL, link_base=BASE)
    assert d is not None
    assert sum(line.startswith("· ") for line in d.body.splitlines()) == LINES
    assert "……另有 15 项，见待办列表" in d.body
    assert "DR-2026-000001" in d.body and "DR-2026-000011" not in d.body  # the longest overdue first


def test_the_text_fits_the_outbox_however_long_the_titles():
    long = [Item(f"DR-2026-{n:06d}", "disclosure", f"stage:k{n}", "很长的事项名称" * 30, None) for n in range(40)]
    late = [Item(f"DR-2026-{n:06d}", "disclosure", "stage:handle", "很长的事项名称" * 30, _midnight(DAY))
            for n in range(40, 80)]
    d = compose(1, long, day=DAY, now=NOW, cal=CAL, link_base=BASE, department_overdue=late)
    assert d is not None and len(d.body) <= BODY_CHARS and d.body.endswith("（内容过长，其余见待办列表）")
    assert len(d.title) <= 200 and len(d.summary) <= 1000
