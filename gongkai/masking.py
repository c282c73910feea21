"""Applicants' ID and phone numbers as staff see them: whole to those handling the case, masked to
everyone else (oversight, administration), who may reveal them on purpose (and are audited).
个人信息保护法 Arts. 28 and 51: sensitive personal information, seen by those who need it."""

from __future__ import annotations

from gongkai.disclosure import require_handler
from gongkai.errors import PermissionDenied
from gongkai.roles import Actor

STAR = "*"
# (kept at the start, kept at the end) per kind of number. A resident ID keeps its region code
# (6) and its last 4, as most Chinese services print it (110101********0035); a mobile number
# keeps the carrier prefix (3) and the last 4 (138****5678).
RESIDENT_ID = (6, 4)
MOBILE = (3, 4)
MIN_HIDDEN = 4  # a rule that would hide fewer characters than this falls back to the general one
SHORTEST_SHOWN = 6  # a value shorter than this is starred whole: any character kept is a large part of it


def mask(value: str, head: int, tail: int) -> str:
    """`value` with all but its first `head` and last `tail` characters starred (its length kept)."""
    hidden = len(value) - head - tail
    if hidden <= 0:
        return STAR * len(value)
    return value[:head] + STAR * hidden + value[len(value) - tail:]


def mask_general(value: str) -> str:
    """Any other number (passport, licence, landline): a quarter kept at each end, so at least
    half is hidden; short values are starred whole."""
    if len(value) < SHORTEST_SHOWN:
        return STAR * len(value)
    keep = min(len(value) // 4, 4)
    return mask(value, keep, keep)


def _with_rule(value: str, rule: tuple[int, int]) -> str:
    head, tail = rule
    if len(value) - head - tail >= MIN_HIDDEN:
        return mask(value, head, tail)
    return mask_general(value)


def mask_id(doc_type: str, number: str) -> str:
    """An identity document's number as non-handlers see it."""
    number = number.strip()
    if doc_type == "resident_id":
        return _with_rule(number, RESIDENT_ID)
    return mask_general(number)


def mask_phone(phone: str) -> str:
    """A phone number as non-handlers see it: a mobile (11 digits or more) keeps 3 and 4."""
    phone = phone.strip()
    if sum(c.isdigit() for c in phone) >= 11:
        return _with_rule(phone, MOBILE)
    return mask_general(phone)


def sees_in_full(actor: Actor, department_id: int, assignee_id: int | None) -> bool:
    """Whether `actor` handles the case, and so sees the applicant's numbers whole: exactly those who
    may act on it as its handler (the assignee, or any officer of the handling department while it
    is unclaimed, that department's head, and the open-information office's head, who signs every
    reply). Administrators, supervisors, leaders and other officers see them masked."""
    try:
        require_handler(actor, department_id, assignee_id)
    except PermissionDenied:
        return False
    return True
