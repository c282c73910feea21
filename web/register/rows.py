"""How a register row prints the applicant's numbers: always masked (a list shows many people's
data at once; the whole number is on the case page, for those handling it)."""

from __future__ import annotations

from gongkai.masking import mask_id, mask_phone
from web.register.query import Found


def masked_id(r: Found) -> str:
    return mask_id(r.id_doc_type or "", r.id_doc_number) if r.id_doc_number else ""


def masked_phone(r: Found) -> str:
    return mask_phone(r.phone) if r.phone else ""
