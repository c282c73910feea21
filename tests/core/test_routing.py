"""Where and when a rung's messages go: the channels by rung and clock, and quiet hours over the
real 2026 calendar (holidays and the make-up working days of the State Council's notice)."""

from __future__ import annotations

from datetime import datetime

import pytest

from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.profiles import default_rules, get_rule, read_profile
from gongkai.routing import channels_for, keeps_quiet, message_text, release_at
from gongkai.rules import Rung
from gongkai.workdays import bundled_calendar

CAL = bundled_calendar()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CST)


@pytest.mark.parametrize(("sent", "released"), [
    (at(2026, 3, 10, 10, 0), at(2026, 3, 10, 10, 0)),  # Tuesday, office hours: at once
    (at(2026, 3, 10, 8, 0), at(2026, 3, 10, 8, 0)),  # 08:00 is no longer quiet
    (at(2026, 3, 10, 19, 59), at(2026, 3, 10, 19, 59)),
    (at(2026, 3, 10, 20, 0), at(2026, 3, 11, 9, 0)),  # 20:00: the next working morning
    (at(2026, 3, 11, 0, 0), at(2026, 3, 11, 9, 0)),  # a reply clock's 24:00 due instant, a working day
    (at(2026, 3, 11, 7, 59), at(2026, 3, 11, 9, 0)),
    (at(2026, 3, 7, 0, 0), at(2026, 3, 9, 9, 0)),  # Saturday: Monday
    (at(2026, 3, 6, 21, 0), at(2026, 3, 9, 9, 0)),  # Friday night: Monday
    (at(2026, 4, 30, 20, 30), at(2026, 5, 6, 9, 0)),  # Labour Day, 05-01 to 05-05: the 6th
    (at(2026, 5, 9, 10, 0), at(2026, 5, 9, 10, 0)),  # Saturday 05-09 is a make-up working day
    (at(2026, 2, 13, 22, 0), at(2026, 2, 14, 9, 0)),  # Saturday 02-14 too (Spring Festival)
    (at(2026, 9, 30, 23, 0), at(2026, 10, 8, 9, 0)),  # National Day, 10-01 to 10-07
])
def test_day_clocks_keep_quiet_hours(sent, released):
    assert release_at(sent, CAL, quiet=True) == released


def test_hour_clocks_never_wait():
    sunday_night = at(2026, 3, 8, 3, 0)
    assert release_at(sunday_night, CAL, quiet=False) == sunday_night
    assert not keeps_quiet(get_rule("authoritative_release")) and keeps_quiet(get_rule("reply"))


def test_channels_by_rung_and_clock():
    reply = get_rule("reply")
    reminder = next(r for r in reply.ladder if r.level == 0)
    escalation = next(r for r in reply.ladder if r.level == 1)
    assert channels_for(reply, reminder) == ("inapp", "email")
    assert channels_for(reply, escalation) == ("inapp", "email", "group")
    release = get_rule("authoritative_release")
    assert all(channels_for(release, r) == ("inapp", "email", "group") for r in release.ladder)
    own = Rung("-1wd:assignee", "-1wd", "assignee", 0, channels=("group",))
    assert channels_for(reply, own) == ("inapp", "group")  # the app always


def test_a_rung_names_only_known_channels():
    with pytest.raises(InvalidInput, match="第 2 行.*提醒渠道无效"):
        read_profile('[rules.reply]\nladder = [{ when = "due", to = "supervisor", channels = ["sms"] }]\n',
                     default_rules())
    with pytest.raises(InvalidInput, match="第 2 行.*channels 应为文字列表"):
        read_profile('[rules.reply]\nladder = [{ when = "due", to = "supervisor", channels = "email" }]\n',
                     default_rules())


def test_the_text_says_what_is_due_when_how_far_over_who_and_why():
    text = message_text("依申请公开答复期限", at(2026, 3, 7, 0, 0), at(2026, 3, 9, 9, 0), "supervisor", 1)
    assert text.startswith("依申请公开答复期限截止 2026-03-06 24:00，已超期")
    assert "督办人员" in text and "请尽快办理" in text and len(text) < 120
    reminder = message_text("政务舆情回应", at(2026, 3, 7, 0, 0), at(2026, 3, 6, 12, 0), "department", 0)
    assert "距截止还有12小时00分" in reminder and "责任部门" in reminder
