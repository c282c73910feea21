"""The checks every form and action shares: a date outside the working-day calendar's years is
refused beside its field, before anything counts from it; a web address must be one a reader can
open (http or https, a host)."""

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


@pytest.mark.parametrize("value", ["not a url", "www.gov.cn/zhengce", "http://", "https://", "ftp://www.gov.cn/a",
                                   "javascript:alert(1)", "http://a b.cn/", "http://-x.cn/", "http://x..cn/",
                                   "https://www.gov.cn:99999/", "http:///path", "https://user:pw@www.gov.cn/"])
def test_an_address_a_reader_cannot_open_is_refused_beside_its_field(value):
    with pytest.raises(InvalidInput) as exc:
        fields.url(value, field="url", what="发布地址")
    assert exc.value.field == "url" and "发布地址" in exc.value.message and "http" in exc.value.message


@pytest.mark.parametrize("value", ["https://www.gov.cn/zhengce/content/202612/content_1.htm", "http://政府.cn/a",
                                   "http://10.1.2.3:8080/gk", "HTTPS://WWW.GOV.CN", "http://localhost/a"])
def test_real_addresses_are_accepted_and_stripped(value):
    assert fields.url(f"  {value} ", field="url", what="发布地址") == value


def test_an_empty_address_is_refused_unless_optional():
    with pytest.raises(InvalidInput):
        fields.url("  ", field="url", what="发布地址")
    assert fields.url("", field="url", what="链接", required=False) == ""
