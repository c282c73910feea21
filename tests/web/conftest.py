from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from gongkai.settings import load_settings
from web.app import create_app

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


class FakeClock:
    """What the rate limits take for now: the time the test began, moved only by `advance`."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(db, clock):
    app = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False, clock=clock)
    async with AsyncTestClient(app=app) as c:
        yield c


async def csrf(client, path: str = "/login") -> str:
    page = await client.get(path)
    match = CSRF.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def login(client, username: str, password: str = "gongkai2026"):
    token = await csrf(client)
    return await client.post("/login", data={"username": username, "password": password, "_csrf_token": token},
                             follow_redirects=False)


async def post_form(client, path: str, data: dict, *, token_from: str | None = None, files=None):
    token = await csrf(client, token_from or path)
    return await client.post(path, data={**data, "_csrf_token": token}, files=files, follow_redirects=False)


@pytest.fixture
async def live(db, clock):
    """The app wired to a real Temporal test server and a worker, for pages that act on workflows."""
    import uuid as _uuid

    from temporalio.worker import Worker

    from tests.support.temporal import time_skipping
    from worker import build_activities
    from workflows.registry import WORKFLOWS

    env = await time_skipping()
    from dataclasses import replace

    queue = f"web-{_uuid.uuid4()}"
    settings = replace(load_settings(), task_queue=queue)
    app = create_app(settings, session_factory=db.session_factory, temporal_client=env.client, clock=clock)
    import httpx

    # httpx runs the app in this event loop, beside the worker (litestar's AsyncTestClient runs
    # it on a portal thread and blocks this loop while a request is in flight).
    transport = httpx.ASGITransport(app=app)
    try:  # the server stops even when the worker's shutdown fails
        async with Worker(env.client, task_queue=queue, workflows=WORKFLOWS,
                          activities=build_activities(db.session_factory)):
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield c
    finally:
        await env.shutdown()


@pytest.fixture
async def system(db):
    """The app served on a loopback port, wired to a real Temporal test server and a worker: for
    browser tests and clients that need a real socket. Yields the base URL."""
    import uuid as _uuid
    from dataclasses import replace

    from temporalio.worker import Worker

    from tests.support.server import served
    from tests.support.temporal import time_skipping
    from worker import build_activities
    from workflows.registry import WORKFLOWS

    env = await time_skipping()
    queue = f"served-{_uuid.uuid4()}"
    app = create_app(replace(load_settings(), task_queue=queue), session_factory=db.session_factory,
                     temporal_client=env.client)
    try:
        async with Worker(env.client, task_queue=queue, workflows=WORKFLOWS,
                          activities=build_activities(db.session_factory)):
            async with served(app) as url:
                yield url
    finally:
        await env.shutdown()


async def browser_login(page, base: str, username: str) -> None:
    """Sign in through the login page (signing out first if someone is signed in)."""
    await page.goto(f"{base}/login")
    if await page.locator("#who").count():
        await page.click("text=退出")
    await page.fill("#username", username)
    await page.fill("#password", "gongkai2026")
    await page.click("#login-submit")
    await page.wait_for_selector("#who")


async def browser_apply(page, base: str, id_copy, *, name: str = "赵六", id_doc: str = "11010119850505123X",
                        phone: str = "13900000000", email: str = "zhao@example.cn",
                        description: str = "申请公开本区2026年老旧小区改造项目清单") -> None:
    """A person applies on /apply as a natural person, with an identity scan, answered by email."""
    await page.goto(f"{base}/apply")
    await page.select_option("#applicant_type", "natural_person")
    await page.fill("#name", name)
    await page.fill("#id_doc_number", id_doc)
    await page.fill("#phone", phone)
    await page.fill("#email", email)
    await page.fill("#description", description)
    await page.select_option("#provision_channel", "email")
    await page.set_input_files("#attachments", str(id_copy))
    await page.click("#apply-submit")


async def browser_receipt(page) -> tuple[str, str]:
    """The tracking and query codes the receipt page shows."""
    return (await page.inner_text("#tracking-code")).strip(), (await page.inner_text("#query-code")).strip()


async def browser_track(page, base: str, code: str, query_code: str) -> None:
    """The applicant opens their request on /track with its two codes."""
    await page.goto(f"{base}/track")
    await page.fill("#code", code)
    await page.fill("#query_code", query_code)
    await page.click("#track-submit")


async def browser_ask_correction(officer, items: str) -> None:
    """On the open case page: confirm receipt, then send the correction notice asking for `items`."""
    await officer.click("#do-confirm_receipt")
    await officer.wait_for_selector('#case-stage[data-stage="review"]')
    form = officer.locator('form[data-action="request_correction"]')
    await form.locator('textarea[name="items"]').fill(items)
    await form.locator("#do-request_correction").click()
    await officer.wait_for_selector('#case-stage[data-stage="correction"]')
