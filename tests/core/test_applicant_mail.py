"""The applicant's notices (gongkai/applicant_mail): held only through the night, weekends and holidays
included; each says what happened and what to do, with the tracking code and /track, and nothing a
letter kind does not send."""

from __future__ import annotations

from datetime import datetime

import pytest

from gongkai.applicant_mail import RequestFacts, applicant_notice, release_at_night
from gongkai.clock import CST

TRACK = "https://gongkai.example.gov.cn/track"


@pytest.mark.parametrize(("at", "release"), [
    (datetime(2026, 3, 4, 10, 0), datetime(2026, 3, 4, 10, 0)),  # a Wednesday's day: at once
    (datetime(2026, 3, 7, 12, 0), datetime(2026, 3, 7, 12, 0)),  # a Saturday's day too: a citizen is not an office
    (datetime(2026, 3, 4, 8, 0), datetime(2026, 3, 4, 8, 0)),  # the night ends at 08:00
    (datetime(2026, 3, 4, 19, 59), datetime(2026, 3, 4, 19, 59)),
    (datetime(2026, 3, 4, 20, 0), datetime(2026, 3, 5, 9, 0)),  # from 20:00: the next morning at 09:00
    (datetime(2026, 3, 4, 23, 59), datetime(2026, 3, 5, 9, 0)),
    (datetime(2026, 3, 5, 0, 30), datetime(2026, 3, 5, 9, 0)),  # after midnight: this morning
    (datetime(2026, 3, 5, 7, 59), datetime(2026, 3, 5, 9, 0)),
    (datetime(2026, 9, 30, 22, 0), datetime(2026, 10, 1, 9, 0)),  # National Day is no reason to wait
])
def test_a_notice_waits_out_the_night_only(at: datetime, release: datetime):
    assert release_at_night(at.replace(tzinfo=CST)) == release.replace(tzinfo=CST)


def test_each_notice_says_what_happened_and_what_to_do():
    rid = "DR-2026-000123"
    receipt = applicant_notice("receipt", RequestFacts(rid), TRACK)
    correction = applicant_notice("correction", RequestFacts(rid, "2026-03-04", correction_items="写明年份",
                                                             correction_due="2026-03-19"), TRACK)
    reply = applicant_notice("reply", RequestFacts(rid, "2026-03-04", disposition="DENIED", reply_channel="post"),
                             TRACK)
    assert receipt and correction and reply
    assert receipt[0] == f"政府信息公开申请已登记（{rid}）" and "确认收到日期后开始计算答复期限" in receipt[1]
    assert correction[0] == f"请补正政府信息公开申请（{rid}）"
    assert "需补正的事项：写明年份。请于2026年3月19日前补正" in correction[1] and "在线提交补正材料" in correction[1]
    assert reply[0] == f"政府信息公开申请已答复（{rid}）"
    assert "作出答复（不予公开）" in reply[1] and "送达方式：邮寄" in reply[1] and "所附" not in reply[1]
    for title, body in (receipt, correction, reply):
        assert rid in title and rid in body and f"{TRACK} " in body and "本邮件不含查询码" in body
        assert len(title) <= 40 and len(body) <= 400  # short: a phone shows it


def test_long_correction_items_are_cut_and_other_letters_send_nothing():
    long = "\n".join(f"第{i}项：请写明所需信息的具体名称、文号和时间范围" for i in range(30))
    notice = applicant_notice("correction", RequestFacts("DR-2026-000124", correction_items=long), TRACK)
    assert notice is not None and "……" in notice[1] and len(notice[1]) < 600 and "请在补正期限内补正" in notice[1]
    for kind in ("extension", "withdrawn", "abandoned", "consultation", "supervision"):
        assert applicant_notice(kind, RequestFacts("DR-2026-000124"), TRACK) is None
