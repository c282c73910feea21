"""Letters (告知书, 答复书) as official documents (公文, GB/T 9704-2012): the HTML a letter says,
rendered once from the case when it is issued (gongkai/letters/*.html) and kept with it, its 文号,
and the Chinese way dates are written in it. The PDF is gongkai/letter_pdf.py's."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gongkai.clock import CST
from gongkai.disclosure import CONSULTATION_KINDS, INTAKE_CHANNELS, REASON_LABEL
from gongkai.explain import due_text
from gongkai.instants import last_day
from gongkai.office import Office

_env = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "letters"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

# Where the seal goes (over the signature and the date): replaced by the seal's image where the
# letter is shown or printed, so the stored text names no URL.
SEAL_MARK = "<!--seal-->"

# The word each kind of letter adds to the agency's 代字 in its 文号, and the series it is numbered
# in (every reply, whatever its disposition, is one series: 答).
SERIES_WORD = {"receipt": "受", "correction": "补", "consultation": "征告", "consultation_request": "征",
               "extension": "延", "reply": "答", "withdrawn": "撤", "abandoned": "终",
               "supervision": "督"}

DIGITS = "〇一二三四五六七八九"


def series(kind: str) -> str:
    """The 文号 series of a letter kind: reply_GRANTED and every other reply are `reply`."""
    return "reply" if kind.startswith("reply_") else kind


def doc_number(agency_code: str, kind: str, year: int, number: int) -> str:
    """发文字号 as GB/T 9704 writes it: 代字〔年份〕序号号, the year in 六角括号 and the number
    without leading zeros; the kind's word completes the 代字 (某府办公开答〔2026〕12号)."""
    return f"{agency_code}{SERIES_WORD.get(series(kind), '')}〔{year}〕{number}号"


def _small(n: int) -> str:
    """1..31 as written in dates: 一, 十, 十一, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else DIGITS[tens]) + "十" if tens else "") + (DIGITS[ones] if ones else "")


def chinese_date(day: date) -> str:
    """成文日期 in Chinese numerals, as GB/T 9704 §7.3.5.3 writes it: 二〇二六年十二月一日."""
    return "".join(DIGITS[int(c)] for c in str(day.year)) + f"年{_small(day.month)}月{_small(day.day)}日"


def _cn(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(CST).date()
    return chinese_date(value)


def paragraphs(text: str | None) -> list[str]:
    """The officer's text as typed: a paragraph per line, empty lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


_env.filters["cn"] = _cn
_env.filters["paragraphs"] = paragraphs

# Legal basis of each disposition's reason (《政府信息公开条例》, 2019).
BASIS = {
    "granted": "第三十六条第（二）项", "partial": "第三十七条",
    "state_secret": "第十四条", "law_prohibited": "第十四条", "security_stability": "第十四条",
    "third_party_rights": "第十五条", "internal_affairs": "第十六条第一款", "process_info": "第十六条第二款",
    "enforcement_dossier": "第十六条第二款", "admin_query": "第三十六条第（七）项",
    "not_held": "第三十六条第（四）项", "needs_creation": "第三十八条", "unclear_after_correction": "第三十条",
    "petition_complaint": "第三十九条第一款", "repeat": "第三十六条第（六）项", "publication": "第三十九条第二款",
    "excessive_unjustified": "第三十五条", "confirm_or_reissue": "第三十六条第（六）项",
    "correction_overdue": "第三十条", "fee_unpaid": "第四十二条", "other": "第三十六条",
}


def render_disclosure_letter(kind: str, title: str, request: Any, view: Any, *, office: Office, doc_no: str,
                             due_at: datetime | None, now: datetime, seal: bool) -> str:
    """The letter's HTML, every value from the case escaped. `request` is the request's row, `view`
    its workflow's view (contracts.disclosure); `due_at` the reply's due instant (the extension
    notice names its last day); `seal`: the office has a seal, so the letter has its place."""
    template = "reply.html" if kind.startswith("reply_") else f"{kind}.html"
    r = {c: getattr(request, c) for c in type(request).model_fields}
    reason = request.reason or view.draft.reason
    consulted = view.consultation_party or "（征求意见对象）"
    return _env.get_template(template).render(
        kind=kind, title=title, doc_no=doc_no, office=office, r=r, s=view,
        to=consulted if kind == "consultation_request" else request.applicant_name,
        d=request.disposition or view.draft.disposition, reason=reason, reason_label=REASON_LABEL.get(reason, ""),
        basis=BASIS.get(reason, "第三十六条"), consultation_kind=getattr(view, "consultation_kind", ""),
        consultation_kinds=CONSULTATION_KINDS, channel=INTAKE_CHANNELS.get(request.intake_channel, ""),
        files=[f.filename for f in getattr(view, "reply_files", [])] if kind.startswith("reply_") else [],
        due_day=last_day(due_at) if due_at else None, today=now.astimezone(CST).date(),
        seal_mark=SEAL_MARK if seal else "", decision="告知" if kind == "abandoned" else "答复",
    )


def render_supervision_notice(*, title: str, doc_no: str, office: Office, case: dict[str, str], matter: str,
                              required: str, due_at: datetime | None, department: str, issuer: str, now: datetime,
                              seal: bool) -> str:
    """督办通知单: which case, what is found, what is required, by when to answer (the feedback
    deadline, written as every deadline is), who issued it, when; every value escaped."""
    return _env.get_template("supervision.html").render(
        kind="supervision", title=title, doc_no=doc_no, office=office, to=department, case=case, matter=matter,
        required=required, due=due_text(due_at) if due_at else "", issuer=issuer,
        today=now.astimezone(CST).date(), seal_mark=SEAL_MARK if seal else "", files=[])


def with_seal(body: str, src: str | None) -> str:
    """The letter with its seal's image at the seal's place (`src`: its URL), or without."""
    image = f'<img class="gw-seal" src="{escape(src)}" alt="印章">' if src else ""
    return body.replace(SEAL_MARK, image)
