"""Publication item pages over HTTP: registration and its errors (what was typed kept), who sees an
item, the list's filters and urgency, and, against real workflows, the item page's action forms and
the JSON API's idempotency key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from gongkai.clock import CST
from models import Deadline, Department, IntakeKey, PublicationItem
from tests.web.conftest import csrf, login, post_form


def _local(at: datetime) -> str:
    return at.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


async def _dept(db, code: str) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(Department.id).where(Department.code == code))).scalar_one()


def _form(**overrides) -> dict:
    form = {"title": "某公司违法排污行政处罚决定", "kind": "penalty",
            "triggered_at": _local(datetime.now(CST) - timedelta(days=1)),
            "channels": ["dept_website", "gov_website"], "secrecy_review": "yes", "content": "罚款五万元",
            "form_key": uuid.uuid4().hex}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def _count(db, model) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def test_registration_errors_keep_what_was_typed_and_open_nothing(client, db):
    await login(client, "jyj_officer")
    form = (await client.get("/publication/new?kind=penalty")).text
    # a fresh form ticks the kind's default channels: 双公示, both websites
    assert 'value="dept_website" id="channel-dept_website" checked' in form
    assert 'value="gov_website" id="channel-gov_website" checked' in form
    assert 'value="gazette" id="channel-gazette" checked' not in form
    r = await post_form(client, "/publication/new", _form(title=""), token_from="/publication/new")
    assert r.status_code == 400 and 'data-error-for="title">请填写公开事项名称' in r.text
    assert "罚款五万元" in r.text  # the content typed is kept
    r = await post_form(client, "/publication/new", _form(channels=None), token_from="/publication/new")
    assert r.status_code == 400 and 'data-error-for="channels">请至少选择一个发布渠道' in r.text
    assert 'value="某公司违法排污行政处罚决定"' in r.text
    assert 'id="channel-dept_website" checked' not in r.text  # what was typed, not the defaults
    future = _local(datetime.now(CST) + timedelta(days=2))
    r = await post_form(client, "/publication/new", _form(triggered_at=future), token_from="/publication/new")
    assert r.status_code == 400 and "发生时间不能晚于现在" in r.text
    r = await post_form(client, "/publication/new", _form(department_id=str(await _dept(db, "ZRZY"))),
                        token_from="/publication/new")
    assert r.status_code == 403 and 'data-error-for="department_id">只能登记本部门的公开事项' in r.text
    assert await _count(db, PublicationItem) == 0 and await _count(db, IntakeKey) == 0


async def _item(db, department: str, title: str, *, stage: str = "drafting", kind: str = "general",
                due_in: timedelta | None = None) -> str:
    """An item row as its workflow's projection writes it, with its running clock (for the list)."""
    async with db.session_factory() as s:
        n = (await s.execute(select(func.count()).select_from(PublicationItem))).scalar_one() + 1
        item_id = f"PI-2026-{n:06d}"
        dept = (await s.execute(select(Department.id).where(Department.code == department))).scalar_one()
        now = datetime.now(UTC)
        s.add(PublicationItem(id=item_id, title=title, kind=kind, department_id=dept, stage=stage,
                              channels=["gov_website"], triggered_at=now - timedelta(days=1), version=1))
        if due_in is not None:
            s.add(Deadline(id=f"{item_id}/proactive_publication", case_id=item_id, workflow_id=item_id,
                           process="publication", rule="proactive_publication", label="主动公开", kind="working_days",
                           amount=20, department_id=dept, start_at=now - timedelta(days=1), due_at=now + due_in,
                           state="running"))
        await s.commit()
    return item_id


async def test_the_list_filters_and_puts_the_most_urgent_first_and_a_department_sees_its_own(client, db):
    late = await _item(db, "JYJ", "教育收费目录调整", kind="list_adjustment", due_in=timedelta(days=-3))
    soon = await _item(db, "JYJ", "校车许可决定", kind="licensing", due_in=timedelta(hours=2))
    calm = await _item(db, "JYJ", "招生政策解读", due_in=timedelta(days=60))
    done = await _item(db, "JYJ", "去年的招生简章", stage="done")
    other = await _item(db, "ZRZY", "土地征收公告", due_in=timedelta(days=-1))
    await login(client, "jyj_officer")
    page = (await client.get("/publication")).text
    order = [i for i in (late, soon, calm, done) if f'data-item="{i}"' in page]
    assert order == [late, soon, calm, done]
    assert sorted(order, key=page.index) == order  # overdue first, then due soon, on time, closed
    assert f'data-item="{other}"' not in page and 'id="f-department"' not in page
    assert (await client.get("/publication?urgency=overdue")).text.count("data-item=") == 1
    assert f'data-item="{soon}"' in (await client.get("/publication?urgency=due_soon")).text
    on_time = (await client.get("/publication?urgency=on_time")).text
    assert f'data-item="{calm}"' in on_time and f'data-item="{late}"' not in on_time
    kind = (await client.get("/publication?kind=licensing")).text
    assert kind.count("data-item=") == 1 and f'data-item="{soon}"' in kind
    stage = (await client.get("/publication?stage=done")).text
    assert stage.count("data-item=") == 1 and f'data-item="{done}"' in stage
    # another department's item: not shown, and its page refused
    assert (await client.get(f"/publication/{other}")).status_code == 403
    assert (await client.get("/publication/PI-2026-999999")).status_code == 404
    # the office head sees all departments and filters by one
    await post_form(client, "/logout", {}, token_from="/")
    await login(client, "gkb_head")
    everything = (await client.get("/publication")).text
    assert f'data-item="{other}"' in everything and 'id="f-department"' in everything
    by_department = (await client.get(f"/publication?department={await _dept(db, 'ZRZY')}")).text
    assert by_department.count("data-item=") == 1 and f'data-item="{other}"' in by_department
    assert (await client.get("/publication?urgency=overdue")).text.count("data-item=") == 2
    # the filter form's 全部 sends empty values: all items, not a refusal
    every = await client.get("/publication?department=&kind=&stage=&urgency=")
    assert every.status_code == 200 and every.text.count("data-item=") == 5


async def test_the_list_is_paginated(client, db):
    """Running clocks first by due time, then the closed items newest first, across the page break."""
    running = [await _item(db, "JYJ", f"行政处罚决定第{n}号", due_in=timedelta(days=n + 1)) for n in range(48)]
    closed = [await _item(db, "JYJ", f"已公开的决定第{n}号", stage="done") for n in range(5)]
    await login(client, "jyj_officer")
    first = (await client.get("/publication")).text
    assert first.count("data-item=") == 50 and 'id="page-next"' in first and "第 1 / 2 页" in first
    assert "共 <span data-count=\"total\">53</span> 项" in first
    shown = [i for i in running + closed if f'data-item="{i}"' in first]
    assert sorted(shown, key=first.index) == running + closed[::-1][:2]
    second = (await client.get("/publication?page=2")).text
    assert second.count("data-item=") == 3 and 'id="page-prev"' in second
    assert sorted(closed[:3], key=second.index) == closed[:3][::-1]


async def test_the_nav_links_the_list_for_staff(client, db):
    await login(client, "jyj_officer")
    assert 'href="/publication" id="nav-publication"' in (await client.get("/")).text


async def _register(live, **overrides) -> str:
    r = await post_form(live, "/publication/new", _form(**overrides), token_from="/publication/new")
    assert r.status_code in (302, 303), r.text[:500]
    return r.headers["location"].rsplit("/", 1)[1]


async def test_register_an_item_and_take_it_through_its_action_forms(live, db):
    await login(live, "jyj_officer")
    item = await _register(live)
    assert item.startswith("PI-")
    page = (await live.get(f"/publication/{item}")).text
    assert 'data-stage="drafting"' in page and "某公司违法排污行政处罚决定" in page
    assert 'id="deadlines"' in page and 'class="deadline"' in page  # its clock, with its derivation
    assert page.count('data-published="no"') == 2
    assert 'data-action="submit"' in page and 'data-action="review"' not in page
    assert 'data-action="cancel"' not in page  # an officer does not cancel
    r = await post_form(live, f"/publication/{item}/submit", {}, token_from=f"/publication/{item}")
    assert r.status_code in (302, 303)
    page = (await live.get(f"/publication/{item}")).text
    assert 'data-stage="secrecy_review"' in page and 'data-action="review"' not in page
    # another department's officer sees nothing of it
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zrzy_officer")
    assert (await live.get(f"/publication/{item}")).status_code == 403
    r = await post_form(live, f"/publication/{item}/submit", {}, token_from="/publication")
    assert r.status_code == 403
    # the department head reviews: a return needs a note, a pass moves it on
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    page = (await live.get(f"/publication/{item}")).text
    assert 'data-action="review"' in page and 'data-action="cancel"' in page
    r = await post_form(live, f"/publication/{item}/review", {"note": ""}, token_from=f"/publication/{item}")
    assert r.status_code == 400 and 'data-error-for="approve"' in r.text
    r = await post_form(live, f"/publication/{item}/review", {"approve": "false", "note": ""},
                        token_from=f"/publication/{item}")
    assert r.status_code == 400 and "退回修改时请写明意见" in r.text
    r = await post_form(live, f"/publication/{item}/review", {"approve": "true", "note": "无涉密内容"},
                        token_from=f"/publication/{item}")
    assert r.status_code in (302, 303)
    page = (await live.get(f"/publication/{item}")).text
    assert 'data-stage="publishing"' in page and 'data-review="1"' in page and "无涉密内容" in page
    # publishing: the select offers the channels still missing; a bad URL is refused beside its field
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    page = (await live.get(f"/publication/{item}")).text
    assert '<option value="dept_website"' in page and '<option value="gov_website"' in page
    r = await post_form(live, f"/publication/{item}/publish", {"channel": "dept_website", "url": "不是网址"},
                        token_from=f"/publication/{item}")
    assert r.status_code == 400 and 'data-error-for="url"' in r.text
    r = await post_form(live, f"/publication/{item}/publish",
                        {"channel": "dept_website", "url": "https://jyj.example.gov.cn/cf/1.html",
                         "at": _local(datetime.now(CST))}, token_from=f"/publication/{item}")
    assert r.status_code in (302, 303), r.text[:500]
    page = (await live.get(f"/publication/{item}")).text
    assert 'data-channel="dept_website" data-published="yes"' in page and "https://jyj.example.gov.cn/cf/1.html" in page
    assert '<option value="dept_website"' not in page and '<option value="gov_website"' in page


async def test_the_api_opens_an_item_once_per_external_key(live, db):
    await login(live, "jyj_officer")
    token = await csrf(live, "/")
    body = {"title": "某培训机构行政处罚决定", "kind": "penalty", "external_key": "CF-2026-0815",
            "triggered_at": (datetime.now(CST) - timedelta(days=2)).isoformat(),
            "channels": ["dept_website", "gov_website"]}
    first = await live.post("/api/publication", headers={"x-csrftoken": token}, json=body)
    assert first.status_code == 201, first.text
    again = await live.post("/api/publication", headers={"x-csrftoken": token}, json=body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert first.json()["source"] == "api" and first.json()["external_key"] == "CF-2026-0815"
    assert await _count(db, PublicationItem) == 1
    missing = await live.post("/api/publication", headers={"x-csrftoken": token},
                              json={**body, "external_key": ""})
    assert missing.status_code == 400 and missing.json()["detail"]["field"] == "external_key"
    shown = await live.get(f"/api/publication/{first.json()['id']}")
    assert shown.status_code == 200 and shown.json()["title"] == "某培训机构行政处罚决定"


async def test_a_full_page_of_running_clocks_counts_and_pages_on(client, db):
    """More running clocks than a page holds: the first page is all clocks, the second the rest of
    them and then the closed items; an urgency filter counts all its clocks, not one page."""
    running = [await _item(db, "JYJ", f"许可决定第{n}号", due_in=timedelta(days=n + 30)) for n in range(53)]
    closed = [await _item(db, "JYJ", f"已公开第{n}号", stage="done") for n in range(4)]
    await login(client, "jyj_officer")
    first = (await client.get("/publication")).text
    assert "共 <span data-count=\"total\">57</span> 项" in first and "第 1 / 2 页" in first
    assert [i for i in running if f'data-item="{i}"' in first] == running[:50]
    second = (await client.get("/publication?page=2")).text
    shown = [i for i in running + closed if f'data-item="{i}"' in second]
    assert sorted(shown, key=second.index) == running[50:] + closed[::-1]
    on_time = (await client.get("/publication?urgency=on_time")).text
    assert "共 <span data-count=\"total\">53</span> 项" in on_time and on_time.count("data-item=") == 50
    last = (await client.get("/publication?urgency=on_time&page=2")).text
    assert last.count("data-item=") == 3 and "共 <span data-count=\"total\">53</span> 项" in last
    beyond = (await client.get("/publication?page=3")).text
    assert beyond.count("data-item=") == 0 and "共 <span data-count=\"total\">57</span> 项" in beyond
