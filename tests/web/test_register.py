"""登记台账 (issue 14): every case, open or closed, found by code, applicant, the whole phone or ID
number, content, department, state, disposition and dates; exported to XLSX; and the duplicate
warning when an officer registers the same applicant's same request again. Real Temporal, real SQL
(both backends when PostgreSQL is configured)."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime

import openpyxl
from sqlmodel import select

from gongkai.roles import Role
from models import AuditEvent, Department, DisclosureRequest, IncidentCase, PolicyCase, User
from tests.web.conftest import csrf, login, post_form
from tests.web.test_disclosure_pages import _form

ID_NUMBER, PHONE = "11010119900101123X", "13800000000"
MASKED_ID, MASKED_PHONE = "110101********123X", "138****0000"
CODE = re.compile(r'data-case="([A-Z]{2}-\d{4}-\d{6})"')


async def _user(db, username: str) -> User:
    async with db.session_factory() as s:
        return (await s.execute(select(User).where(User.username == username))).scalar_one()


async def _as(live, username: str) -> None:
    if (await live.get("/", follow_redirects=False)).status_code == 200:  # someone is signed in
        await post_form(live, "/logout", {}, token_from="/")
    assert (await login(live, username)).status_code in (302, 303)


async def _register(live, db, username: str = "jyj_officer", **extra) -> str:
    """A request registered by `username` to their own department; its tracking code."""
    me = await _user(db, username)
    await _as(live, username)
    form = _form(intake_channel="in_person", received_date="2026-01-05", department_id=str(me.department_id),
                 **extra)
    r = await live.post("/disclosure/new", data={**form, "_csrf_token": await csrf(live, "/disclosure/new")},
                        follow_redirects=False)
    assert r.status_code == 201, r.text[:800]
    return r.headers["location"].rsplit("/", 1)[1]


async def _step(live, code: str, action: str, data: dict | None = None) -> None:
    r = await post_form(live, f"/disclosure/{code}/{action}", data or {}, token_from=f"/disclosure/{code}")
    assert r.status_code in (302, 303), (action, r.text[:500])


async def _archived(live, db) -> str:
    """A request run through the workflow to its end: registered, replied, signed, sent, archived."""
    code = await _register(live, db)
    for action, data in [("claim", {}), ("accept", {}),
                         ("draft_reply", {"disposition": "GRANTED", "reason": "granted", "text": "予以公开。"})]:
        await _step(live, code, action, data)
    await _as(live, "gkb_head")
    await _step(live, code, "sign_off", {"approve": "true"})
    await _as(live, "jyj_officer")
    await _step(live, code, "send_reply", {"channel": "email"})
    await _step(live, code, "archive")
    return code


async def _search(live, **filters) -> tuple[int, list[str], str]:
    r = await post_form(live, "/register", filters, token_from="/register")
    assert r.status_code == 200, r.text[:800]
    total = int(re.search(r'data-total="(\d+)"', r.text).group(1))
    return total, CODE.findall(r.text), r.text


async def test_the_register_finds_an_archived_request_by_the_whole_phone_or_id_number_only(live, db):
    code = await _archived(live, db)
    other = await _register(live, db, id_doc_number="110101198502021111", phone="13911112222", name="李四",
                            description="申请公开本区2024年老旧小区改造项目清单及资金安排")
    async with db.session_factory() as s:
        row = await s.get(DisclosureRequest, code)
        assert row.stage == "archived" and row.id_doc_hash and row.phone_hash
        assert ID_NUMBER not in row.id_doc_hash + row.phone_hash

    await _as(live, "jyj_officer")
    for filters in ({"phone": PHONE}, {"phone": "138 0000 0000"}, {"id_number": ID_NUMBER},
                    {"id_number": "110101 19900101 123x"}, {"phone": PHONE, "status": "closed"},
                    {"name": "小明", "disposition": "GRANTED"}, {"code": code}, {"words": "招生计划 制定依据"},
                    {"stage": "disclosure:archived"}):
        total, codes, page = await _search(live, **filters)
        assert codes == [code], (filters, codes)
        assert f'data-case="{code}" data-process="disclosure" data-closed="true"' in page
        assert MASKED_ID in page and MASKED_PHONE in page  # the list shows numbers masked
        assert ID_NUMBER not in page.replace(f'value="{ID_NUMBER}"', "")  # only in the search box typed
    # A part of a number finds nothing: numbers are compared whole, by their keyed hash.
    for filters in ({"id_number": ID_NUMBER[:-1]}, {"id_number": "110101"}, {"id_number": "123X"},
                    {"phone": PHONE[:7]}, {"phone": "0000"}):
        assert (await _search(live, **filters))[:2] == (0, []), filters
    assert (await _search(live, status="open"))[1] == [other]
    assert (await _search(live, name="李四", phone=PHONE))[1] == []  # filters combine
    assert (await _search(live, process="policy", phone=PHONE))[1] == []  # policies have no applicant
    assert set((await _search(live))[1]) >= {code, other}  # newest first, every case
    total, codes, _ = await _search(live)
    assert codes.index(other) < codes.index(code)


async def test_a_department_officer_sees_their_own_cases_and_cannot_open_others_from_the_register(live, db):
    code = await _register(live, db, "jyj_officer")
    await _as(live, "zrzy_officer")
    assert code not in (await _search(live, id_number=ID_NUMBER))[1]
    assert code not in (await live.get("/register")).text
    refused = await live.get(f"/disclosure/{code}")  # the link, typed or kept from elsewhere
    assert refused.status_code == 403 and "无权查看其他部门的申请" in refused.text
    for username in ("gkb_officer", "duban", "leader"):  # the open-information office and oversight see all
        await _as(live, username)
        assert (await _search(live, id_number=ID_NUMBER))[1] == [code], username
        assert (await live.get(f"/disclosure/{code}")).status_code == 200


async def test_what_the_register_lists_is_what_each_case_page_opens(db, client):
    """The register's SQL visibility agrees with each process's own check, for every account, on
    requests, policies (a government one the general office reviews) and incidents (co-responsible
    departments, a JSON list)."""
    from gongkai.errors import PermissionDenied
    from gongkai.settings import get_settings
    from web.disclosure.service import visible as disclosure_visible
    from web.incident import visible as incident_visible
    from web.policy import visible as policy_visible
    from web.register.query import Filters, search, viewer
    from worker import lookup_keys

    now = datetime.now(UTC)
    async with db.session_factory() as s:
        depts = {d.code: d.id for d in (await s.execute(select(Department))).scalars()}
        for i, dept in enumerate(("JYJ", "ZRZY", "GKB")):
            s.add(DisclosureRequest(
                id=f"DR-2026-00010{i}", year=2026, idempotency_key=uuid.uuid4().hex, query_code_hash="",
                stage="archived" if i else "review", intake_channel="in_person", submitted_at=now,
                applicant_type="natural_person", applicant_name="王小明", id_doc_type="resident_id",
                id_doc_number=ID_NUMBER, description="申请公开", provision_form="electronic",
                provision_channel="email", department_id=depts[dept], state={}))
        s.add(PolicyCase(id="PD-2026-000101", title="部门文件", issuance="department", department_id=depts["JYJ"],
                         stage="drafting", state={}))
        s.add(PolicyCase(id="PD-2026-000102", title="代拟稿", issuance="government", department_id=depts["ZRZY"],
                         stage="closed", state={}))
        s.add(IncidentCase(id="IN-2026-000101", title="事件一", grade="general", source="online",
                           department_id=depts["WJW"], co_departments=[depts["JYJ"]], occurred_at=now,
                           detected_at=now, stage="closed", state={}))
        s.add(IncidentCase(id="IN-2026-000102", title="事件二", grade="general", source="online",
                           department_id=depts["ZRZY"], co_departments=[], occurred_at=now, detected_at=now,
                           stage="responding", state={}))
        await s.commit()
        keys = lookup_keys(get_settings())
        checks = [(disclosure_visible, "DR-2026-00010" + str(i)) for i in range(3)] + [
            (policy_visible, "PD-2026-000101"), (policy_visible, "PD-2026-000102"),
            (incident_visible, "IN-2026-000101"), (incident_visible, "IN-2026-000102")]
        for user in (await s.execute(select(User))).scalars().all():
            opens = set()
            for check, case_id in checks:
                try:
                    await check(s, user, case_id)
                    opens.add(case_id)
                except PermissionDenied:
                    pass
            _, rows = await search(s, Filters(), await viewer(s, user), keys)
            assert {r.id for r in rows} == opens, user.username
            if user.role == Role.OFFICER and user.department_id == depts["JYJ"]:
                assert opens == {"DR-2026-000100", "PD-2026-000101", "IN-2026-000101"}


async def test_the_export_holds_the_filtered_rows_masked_with_dates_as_dates_and_is_audited(live, db, monkeypatch):
    first = await _register(live, db)
    second = await _register(live, db, id_doc_number="110101198502021111", phone="13911112222", name="李四",
                             description="申请公开本区2024年老旧小区改造项目清单及资金安排")
    await _as(live, "jyj_officer")
    r = await post_form(live, "/register/export", {"name": "王小明"}, token_from="/register")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.headers["content-disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:8] == ("受理编号", "流程", "提交（登记）时间", "收到日期", "申请人", "证件号码（脱敏）",
                           "联系电话（脱敏）", "内容")
    assert [row[0] for row in rows[1:]] == [first]  # the filtered rows only
    (row,) = rows[1:]
    assert row[1] == "依申请公开" and row[4] == "王小明" and row[5] == MASKED_ID and row[6] == MASKED_PHONE
    assert isinstance(row[2], datetime) and isinstance(row[3], datetime) and row[3].date() == date(2026, 1, 5)
    assert ID_NUMBER not in str(rows) and PHONE not in str(rows)
    async with db.session_factory() as s:
        (event,) = (await s.execute(select(AuditEvent).where(AuditEvent.action == "register_exported"))).scalars()
    assert event.actor == "jyj_officer" and event.detail["rows"] == 1 and event.detail["filters"] == ["name"]
    assert "王小明" not in str(event.detail) + event.summary  # which filters, never their values

    import web.register.export as export

    monkeypatch.setattr(export, "MAX_ROWS", 1)
    refused = await post_form(live, "/register/export", {}, token_from="/register")
    assert refused.status_code == 400 and "超过单次导出上限 1 条" in refused.text
    assert second in refused.text  # the list with the filters kept, and the reason
    async with db.session_factory() as s:
        assert len((await s.execute(select(AuditEvent).where(AuditEvent.action == "register_exported"))).all()) == 1


async def test_unusable_filters_are_refused_beside_their_field(live, db):
    await _as(live, "jyj_officer")
    r = await post_form(live, "/register", {"date_from": "2026-02-01", "date_to": "2026-01-01", "name": "王"},
                        token_from="/register")
    assert r.status_code == 400 and 'data-error-for="date_to">截止日期不能早于起始日期' in r.text
    assert 'value="王"' in r.text  # what was typed is kept
    fragment = await live.post("/register", data={"phone": "无", "_csrf_token": await csrf(live, "/register")},
                               headers={"hx-request": "true", "hx-target": "register-results"})
    assert fragment.status_code == 400 and fragment.text.lstrip().startswith('<div id="register-results">')
    assert "请输入完整的电话号码" in fragment.text


async def test_registering_the_same_request_again_warns_with_a_link_and_registers_when_confirmed(live, db):
    first = await _register(live, db)
    me = await _user(db, "jyj_officer")
    # The same applicant (same ID number) asking for the same thing, written a little differently.
    form = _form(intake_channel="in_person", received_date="2026-01-06", department_id=str(me.department_id),
                 id_doc_number=ID_NUMBER.lower(),
                 description="申请公开本区 2025 年义务教育学校招生计划，及其制定依据。")
    r = await live.post("/disclosure/new", data={**form, "_csrf_token": await csrf(live, "/disclosure/new")},
                        follow_redirects=False)
    assert r.status_code == 409 and 'id="duplicate-warning"' in r.text
    assert f'<a href="/disclosure/{first}"' in r.text and 'id="register-anyway"' in r.text
    assert "2025 年义务教育" in r.text  # the form comes back as typed
    async with db.session_factory() as s:
        assert len((await s.execute(select(DisclosureRequest))).all()) == 1  # nothing registered yet

    again = await live.post("/disclosure/new", data={**form, "confirm_duplicate": "1",
                                                     "_csrf_token": await csrf(live, "/disclosure/new")},
                            follow_redirects=False)
    assert again.status_code == 201, again.text[:800]
    second = again.headers["location"].rsplit("/", 1)[1]
    assert second != first
    page = (await live.get(f"/disclosure/{second}")).text
    assert 'id="earlier-requests"' in page and f'<a href="/disclosure/{first}">' in page
    assert 'data-action="duplicate_confirmed"' in page  # the record keeps that the officer chose so
    assert 'id="earlier-requests"' not in (await live.get(f"/disclosure/{first}")).text  # only the later one

    # Same name and phone, another ID type and number: the same applicant too. Other content: no warning.
    other = _form(intake_channel="in_person", received_date="2026-01-06", department_id=str(me.department_id),
                  id_doc_type="passport", id_doc_number="E12345678",
                  description="申请公开本区2024年老旧小区改造项目清单及资金安排")
    assert (await live.post("/disclosure/new", data={**other, "_csrf_token": await csrf(live, "/disclosure/new")},
                            follow_redirects=False)).status_code == 201
    same_person = {**_form(intake_channel="in_person", received_date="2026-01-06",
                           department_id=str(me.department_id), id_doc_type="passport", id_doc_number="E7654321"),
                   "phone": "138-0000-0000"}
    token = await csrf(live, "/disclosure/new")
    warned = await live.post("/disclosure/new", data={**same_person, "_csrf_token": token}, follow_redirects=False)
    assert warned.status_code == 409 and first in warned.text and second in warned.text


async def test_pages_of_results_and_the_received_date_range(client, db, monkeypatch):
    """Newest first, a page at a time (the filters kept from page to page), and a range of received
    dates, which only requests have."""
    import web.register as register

    monkeypatch.setattr(register, "PAGE_SIZE", 2)
    me = await _user(db, "jyj_officer")
    async with db.session_factory() as s:
        for i, received in enumerate(("2026-03-02", "2026-03-10", "2026-04-01")):
            s.add(DisclosureRequest(
                id=f"DR-2026-00020{i}", year=2026, idempotency_key=uuid.uuid4().hex, query_code_hash="",
                stage="review", intake_channel="in_person", submitted_at=datetime(2026, 3, 1 + i, 2, tzinfo=UTC),
                received_date=date.fromisoformat(received), applicant_type="natural_person", applicant_name="王小明",
                id_doc_type="resident_id", id_doc_number=ID_NUMBER, description=f"申请公开第{i}号文件",
                provision_form="electronic", provision_channel="email", department_id=me.department_id, state={}))
        s.add(PolicyCase(id="PD-2026-000201", title="申请公开第9号文件的解读", issuance="department",
                         department_id=me.department_id, stage="drafting", state={},
                         created_at=datetime(2026, 3, 5, 2, tzinfo=UTC)))
        await s.commit()
    await login(client, "jyj_officer")
    total, codes, page = await _search(client, words="第")
    assert total == 4 and codes == ["PD-2026-000201", "DR-2026-000202"] and 'id="register-pager"' in page
    second = await post_form(client, "/register", {"words": "第", "page": "2"}, token_from="/register")
    assert CODE.findall(second.text) == ["DR-2026-000201", "DR-2026-000200"]
    assert "第 2 / 2 页" in second.text
    # Submitted 1-2 March (Beijing days), whatever the process; received 2-10 March: requests only.
    assert (await _search(client, date_from="2026-03-01", date_to="2026-03-02"))[1] == [
        "DR-2026-000201", "DR-2026-000200"]
    assert (await _search(client, basis="received", date_from="2026-03-02", date_to="2026-03-10"))[1] == [
        "DR-2026-000201", "DR-2026-000200"]
    assert (await _search(client, process="policy", stage="policy:drafting", status="open"))[1] == ["PD-2026-000201"]


async def test_names_and_words_of_any_length_are_found_as_typed_and_through_the_index_on_postgresql(db):
    """One or two Chinese characters, a term inside a Latin word, digits, punctuation, % typed literally:
    the register finds exactly the rows holding the term (as Python's `in` says). On PostgreSQL the
    search goes through the gram index (gongkai/grams.py), and the SQL function gives the same grams
    as the Python one."""
    from sqlalchemy import text

    from gongkai.grams import grams
    from gongkai.settings import get_settings
    from web.register.query import Filters, search, viewer
    from worker import lookup_keys

    names = ["张伟", "张伟明", "欧阳张伟", "王芳", "Li Wei", "北京GDP研究院", "张三（个体户）", "百分之50%"]
    words = ["申请公开2025年征地补偿方案", "GDP统计数据", "（2024）第3号文件", "学区划分的会议纪要", "50% 的预算"]
    async with db.session_factory() as s:
        dept = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one().id
        for i, name in enumerate(names):
            s.add(DisclosureRequest(
                id=f"DR-2026-00030{i}", year=2026, idempotency_key=uuid.uuid4().hex, query_code_hash="",
                stage="review", intake_channel="in_person", submitted_at=datetime.now(UTC),
                applicant_type="natural_person", applicant_name=name, id_doc_type="resident_id",
                id_doc_number=ID_NUMBER, description=words[i % len(words)], provision_form="electronic",
                provision_channel="email", department_id=dept, state={}))
        await s.commit()
        keys = lookup_keys(get_settings())
        who = await viewer(s, (await _user(db, "duban")))

        async def found(**f) -> set[str]:
            return {r.id for r in (await search(s, Filters(**f), who, keys))[1] if r.process == "disclosure"}

        terms = ["张", "张伟", "伟明", "阳张伟", "芳", "wei", "EI", "gdp", "DP研", "（个体户）", "50%", "%", "伟 明"]
        for term in terms:
            want = {f"DR-2026-00030{i}" for i, n in enumerate(names) if term.casefold() in n.casefold()}
            assert await found(name=term) == want, term
        for term in ["征地", "2025年", "gdp统计", "第3号", "纪要", "50%", "会议 纪要"]:
            want = {f"DR-2026-00030{i}" for i in range(len(names))
                    if all(w.casefold() in words[i % len(words)].casefold() for w in term.split())}
            assert await found(words=term) == want, term
        if db.backend == "postgres":
            for t in names + words:
                lexemes = (await s.execute(text("SELECT tsvector_to_array(gk_grams(:t))"), {"t": t})).scalar_one()
                assert set(lexemes) == grams(t), t
            await s.execute(text("SET LOCAL enable_seqscan = off"))
            from web.register.query import query
            asked = query(Filters(name="张伟", words="征地"), who, keys, "postgresql")
            sql = asked.compile(dialect=s.get_bind().dialect)
            conn = await s.connection()
            plan = "\n".join(r[0] for r in (await conn.exec_driver_sql(f"EXPLAIN {sql}", sql.params)).all())
            assert "ix_disclosure_name_grams" in plan or "ix_disclosure_description_grams" in plan, plan


async def test_beyond_the_counted_matches_the_register_says_more_and_still_lists_the_newest(db):
    """Matches are counted up to `counted` and handed over only when they are all there are; beyond,
    the count says "more than" and the page is read by date, newest first, the same rows either way."""
    from gongkai.settings import get_settings
    from web.register.query import Filters, search, viewer
    from worker import lookup_keys

    async with db.session_factory() as s:
        dept = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one().id
        for i in range(6):
            s.add(DisclosureRequest(
                id=f"DR-2026-00040{i}", year=2026, idempotency_key=uuid.uuid4().hex, query_code_hash="",
                stage="review", intake_channel="in_person", submitted_at=datetime(2026, 5, 1 + i, 2, tzinfo=UTC),
                applicant_type="natural_person", applicant_name="赵六", id_doc_type="resident_id",
                id_doc_number=ID_NUMBER, description=f"申请公开低保名单（第{i}批）" if i != 3 else "其他",
                provision_form="electronic", provision_channel="email", department_id=dept, state={}))
        await s.commit()
        keys = lookup_keys(get_settings())
        who = await viewer(s, (await _user(db, "duban")))
        newest = ["DR-2026-000405", "DR-2026-000404", "DR-2026-000402"]
        for counted, total in ((10, 5), (5, 5), (4, 5), (2, 3)):  # 5 hold 低保; beyond `counted`, counted + 1
            got, rows = await search(s, Filters(words="低保"), who, keys, limit=3, counted=counted)
            assert (got, [r.id for r in rows]) == (total, newest), counted
        got, rows = await search(s, Filters(words="低保"), who, keys, offset=3, limit=3, counted=2)
        assert (got, [r.id for r in rows]) == (3, ["DR-2026-000401", "DR-2026-000400"])
        assert await search(s, Filters(words="不存在的词"), who, keys, limit=3, counted=2) == (0, [])
