"""The date check every form and action shares: a date outside the working-day calendar's years
is refused beside its field, before anything counts from it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.disclosure import ACTIONS, DisclosureView
from gongkai import fields
from gongkai.disclosure import Stage
from gongkai.errors import DateOutOfRange, InvalidInput
from gongkai.roles import Actor, Role

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("value", ["0001-01-01", "1989-12-31"])
def test_a_date_outside_the_calendar_is_refused_beside_its_field(value):
    with pytest.raises(DateOutOfRange, match="收到日期不在系统可计算期限的范围内") as refused:
        fields.day(value, field="received_date", what="收到日期", today=TODAY)
    assert refused.value.field == "received_date" and isinstance(refused.value, InvalidInput)


def test_the_calendar_years_and_today_are_accepted():
    assert fields.day("1990-01-01", field="d", what="日期", today=TODAY) == date(1990, 1, 1)
    assert fields.day("2026-12-01", field="d", what="日期", today=TODAY) == TODAY


def test_confirming_receipt_checks_the_same_way():
    view = DisclosureView(Stage.AWAITING_CONFIRMATION, 1, request_id="DR-2026-000001")
    officer = Actor(1, "jyj_officer", Role.OFFICER, 1)
    with pytest.raises(DateOutOfRange):
        ACTIONS.validate("confirm_receipt", view, officer, datetime(2026, 12, 1, 2, tzinfo=UTC), "0001-01-01")


@pytest.mark.parametrize("value", ["not a url", "www.example.gov.cn", "ftp://example.gov.cn/a", "https://",
                                   "javascript:alert(1)", "http:///path", "https://exa mple.cn/", "http://[::1"])
def test_an_address_that_is_not_a_web_page_is_refused_beside_its_field(value):
    with pytest.raises(InvalidInput) as exc:
        fields.check_url(value, field="link", what="发布链接")
    assert (exc.value.field, exc.value.message) == ("link", "发布链接应为以 http:// 或 https:// 开头的完整网址")


def test_a_web_address_is_accepted_and_an_empty_optional_one_too():
    assert fields.check_url(" https://www.example.gov.cn/xxgk/1.html?a=1 ", field="link", what="链接") == \
        "https://www.example.gov.cn/xxgk/1.html?a=1"
    assert fields.check_url("HTTP://192.168.1.10:8080/", field="link", what="链接") == "HTTP://192.168.1.10:8080/"
    assert fields.check_url("", field="link", what="链接", required=False) == ""
    with pytest.raises(InvalidInput, match="请填写链接"):
        fields.check_url("", field="link", what="链接")
