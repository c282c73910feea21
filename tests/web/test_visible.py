"""The wait a page does after a user's action: it returns once another session (the worker)
has committed the version the workflow reported, and says so when that does not come in time."""

from __future__ import annotations

import asyncio

import pytest

from activities.store import insert_once, update_if_older
from gongkai.errors import Conflict
from models import PolicyCase
from web.visible import until_visible, wait_visible

CASE = dict(title="t", issuance="department", department_id=1, stage="drafting")


async def test_the_wait_sees_what_another_session_commits(db):
    async def worker() -> None:
        await asyncio.sleep(0.3)
        async with db.session_factory() as s:
            await insert_once(s, PolicyCase(id="PD-9", version=1, **CASE), on="id")
            await s.commit()
        await asyncio.sleep(0.3)
        async with db.session_factory() as s:
            await update_if_older(s, PolicyCase, "PD-9", 2, {"stage": "sign_off"})
            await s.commit()

    async with db.session_factory() as page:
        loop = asyncio.get_running_loop()
        writer = asyncio.create_task(worker())
        began = loop.time()
        assert await until_visible(page, PolicyCase, "PD-9", 2, timeout=10) is True
        waited = loop.time() - began
        await writer
        assert 0.6 <= waited < 0.6 + 1.0  # seen soon after the commit (a poll is at most 0.25 s apart)
        assert (await page.get(PolicyCase, "PD-9")).stage == "sign_off"


async def test_the_wait_gives_up_after_its_timeout(db):
    async with db.session_factory() as s:
        await insert_once(s, PolicyCase(id="PD-8", version=1, **CASE), on="id")
        await s.commit()
    async with db.session_factory() as page:
        loop = asyncio.get_running_loop()
        began = loop.time()
        assert await until_visible(page, PolicyCase, "PD-8", 2, timeout=0.5) is False
        assert 0.5 <= loop.time() - began < 1.5
        assert await until_visible(page, PolicyCase, "PD-7", 0, timeout=0.1) is False  # no row at all
        assert await until_visible(page, PolicyCase, "PD-8", 1, timeout=0) is True  # already there


async def test_a_page_that_cannot_show_the_change_yet_says_so(db):
    async with db.session_factory() as page:
        with pytest.raises(Conflict, match="操作已提交，正在处理，请稍后刷新页面"):
            await wait_visible(page, PolicyCase, "PD-6", 1, timeout=0.1)
