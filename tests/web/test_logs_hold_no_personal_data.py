"""Logs carry case ids and acting users, never an applicant's personal data or a query code
(个人信息保护法; docs/personal-data.md): everything logged while a request goes through the public
form, a wrong and a right query code and a reveal, with every logger at DEBUG but those the
configuration quiets (SQL drivers log statements with their parameters)."""

from __future__ import annotations

import logging
import re

from tests.web.conftest import csrf, login, post_form
from tests.web.test_disclosure_pages import _apply, _form

NAME, ID_NUMBER, PHONE, EMAIL = "王小明", "11010119900101123X", "13800000000", "wang@example.cn"


def _everything(caplog) -> str:
    return "\n".join(f"{r.getMessage()} {r.msg!r} {r.args!r} {r.__dict__.get('extra', '')}" for r in caplog.records)


async def test_nothing_personal_is_logged(live, db, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = await _apply(live, _form(name=NAME, id_doc_number=ID_NUMBER, phone=PHONE, email=EMAIL))
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)
    assert (await post_form(live, "/track", {"code": code, "query_code": "WRONGCODE234"})).status_code == 400
    assert (await post_form(live, "/track", {"code": code, "query_code": query})).status_code == 200
    await login(live, "gkb_officer")
    token = await csrf(live, f"/disclosure/{code}")
    revealed = await live.post(f"/disclosure/{code}/reveal", headers={"hx-request": "true", "x-csrftoken": token})
    assert revealed.status_code == 200 and ID_NUMBER in revealed.text
    logged = _everything(caplog)
    assert code in logged  # the log is there, and names the case
    for value in (NAME, ID_NUMBER, PHONE, EMAIL, query, "WRONGCODE234"):
        assert value not in logged, value
