"""What an applicant who gave an e-mail address is sent, and when: a short notice with the receipt
(登记回执), the correction notice (补正申请告知书) and the reply (答复书), each saying what happened,
what to do next and where (/track, with the tracking code 受理编号).

Never in the mail: the query code (查询码: secret, never stored in clear), the applicant's name, ID
or phone number, or address. The mail passes through servers the office does not control, and an
address may be mistyped; what it says is only what the tracking code already says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gongkai.clock import CST, start_of_day
from gongkai.disclosure import DISPOSITIONS, REPLY_CHANNELS
from gongkai.instants import deadline_text
from gongkai.routing import MORNING, QUIET_FROM, QUIET_UNTIL

MAILED = frozenset({"receipt", "correction", "reply"})  # letter series (gongkai.letters.series)
ITEMS_CHARS = 300  # the correction items quoted in the mail; the letter on /track has them all
TRACK_PATH = "/track"


@dataclass(frozen=True)
class RequestFacts:
    """What the notices say of a request, from its view as the letter is written."""

    request_id: str
    received_date: str | None = None  # ISO date; None while an online request waits for confirmation
    reply_due_at: datetime | None = None
    correction_items: str = ""
    correction_due: str | None = None  # ISO date, the period's last day
    disposition: str = ""  # GRANTED, PARTIAL, …
    reply_channel: str = ""  # how the reply letter itself was delivered (REPLY_CHANNELS)
    reply_files: int = 0


def release_at_night(at: datetime) -> datetime:
    """When a notice to an applicant may go out. A citizen is not an office: no working-day
    calendar, weekends and holidays included; only the night is kept quiet, as for officers (20:00
    to 08:00 Beijing time), the notice held to 09:00 of that morning."""
    local = at.astimezone(CST)
    if QUIET_UNTIL <= local.hour < QUIET_FROM:
        return at
    day = local.date() if local.hour < QUIET_UNTIL else local.date() + timedelta(days=1)
    return start_of_day(day, MORNING)


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def _items(text: str) -> str:
    items = "；".join(line.strip() for line in text.splitlines() if line.strip())
    return items if len(items) <= ITEMS_CHARS else items[:ITEMS_CHARS] + "……"


def applicant_notice(kind: str, facts: RequestFacts, track_url: str) -> tuple[str, str] | None:
    """The subject and text of the mail a letter of `kind` (its series) sends, or None if that
    letter sends none."""
    rid = facts.request_id
    where = f"凭受理编号 {rid} 和查询码（提交申请时提供，本邮件不含查询码）在 {track_url} "
    if kind == "receipt":
        if facts.received_date:
            due = f"答复期限{deadline_text(facts.reply_due_at)}（北京时间）" if facts.reply_due_at \
                else "本机关将自收到申请之日起20个工作日内答复"
            when = f"收到申请之日为{_day(facts.received_date)}，{due}。"
        else:
            when = "通过互联网提交的申请，本机关确认收到日期后开始计算答复期限（20个工作日）。"
        return (f"政府信息公开申请已登记（{rid}）",
                f"您好！您的政府信息公开申请已登记，受理编号：{rid}。{when}"
                f"您可{where}查询办理进度、查看登记回执。")
    if kind == "correction":
        due = f"请于{_day(facts.correction_due)}前补正" if facts.correction_due else "请在补正期限内补正"
        items = f"需补正的事项：{_items(facts.correction_items)}。" if facts.correction_items.strip() else ""
        return (f"请补正政府信息公开申请（{rid}）",
                f"您好！您的政府信息公开申请（受理编号 {rid}）内容不明确，需要补正。{items}"
                f"{due}：可{where}查看《补正申请告知书》并在线提交补正材料，也可邮寄或当面提交。"
                "答复期限自本机关收到补正之日起重新计算；无正当理由逾期不补正的，视为放弃申请。")
    if kind == "reply":
        outcome = DISPOSITIONS[facts.disposition][0] if facts.disposition in DISPOSITIONS else ""
        what = f"（{outcome}）" if outcome else ""
        channel = REPLY_CHANNELS.get(facts.reply_channel, "")
        sent = f"答复书送达方式：{channel}。" if channel else ""
        files = f"及所附 {facts.reply_files} 个文件" if facts.reply_files else ""
        return (f"政府信息公开申请已答复（{rid}）",
                f"您好！本机关已对您的政府信息公开申请（受理编号 {rid}）作出答复{what}。{sent}"
                f"答复书{files}可{where}阅读和下载。如对答复不服，可依法申请行政复议或提起行政诉讼，具体见答复书。")
    return None
