"""The reply period in words, as /track and the case page say it (gongkai.disclosure.reply_clock_text)."""

from __future__ import annotations

from datetime import date

from gongkai.disclosure import Stage, reply_clock_text

RECEIVED, RESTARTED, LAST = date(2026, 3, 2), date(2026, 3, 5), date(2026, 4, 2)


def test_while_waiting_for_a_correction_it_restarts_rather_than_pauses():
    text = reply_clock_text(Stage.CORRECTION, counted_from=RECEIVED, last_day=None, paused=True)
    assert text.startswith("补正后重新计算") and "20 个工作日" in text and "暂停计算" not in text


def test_after_a_correction_it_says_from_which_day_and_until_when():
    assert reply_clock_text(Stage.REVIEW, counted_from=RESTARTED, last_day=LAST, corrected=True) == \
        "补正后重新计算，自 2026-03-05 起 20 个工作日，至 2026-04-02 届满"
    assert reply_clock_text(Stage.HANDLING, counted_from=RESTARTED, last_day=None, corrected=True, paused=True) == \
        "补正后重新计算，自 2026-03-05 起 20 个工作日；征求意见期间暂停计算，不计入期限"


def test_without_a_correction_extensions_and_provisional_calendars_show():
    text = reply_clock_text(Stage.HANDLING, counted_from=RECEIVED, last_day=LAST, provisional=True, extension_days=10)
    assert text == "自 2026-03-02 起 20 个工作日，经批准延长 10 个工作日，至 2026-04-02 届满（暂定）"
