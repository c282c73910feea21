"""Two web processes (`python -m web.serve`, each with a var folder of its own, as on two hosts)
and a worker against one database and one Temporal: the public form's limit holds across them
(counted in SQL), a session begun on one is good on the other (sessions in SQL, one secret), and an
ID copy uploaded through one is downloaded through the other (GONGKAI_UPLOADS_DIR names the shared
uploads folder); behind a reverse proxy each client is counted by the address it forwards."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlmodel import select

from models import DisclosureAttachment
from tests.faults.support import WebProcess, WorkerProcess, wait_for
from tests.support.temporal import dev_server

PDF = b"%PDF-1.4\n% identity document uploaded through web A\n"
LIMIT = 3


def _form(n: int) -> dict:
    """A different request each time (the same applicant and text again would be the same request)."""
    return {"applicant_type": "natural_person", "name": "王小明", "id_doc_type": "resident_id",
            "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "wang@example.cn",
            "address": "", "description": f"申请公开本区2025年第{n}学区义务教育学校招生计划及其制定依据",
            "provision_form": "electronic", "provision_channel": "email", "form_key": uuid.uuid4().hex}


def _token(page: httpx.Response) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)


async def _apply(client: httpx.AsyncClient, n: int, forwarded: str = "") -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = _token(await client.get("/apply", headers=headers))
    return await client.post("/apply", data={**_form(n), "_csrf_token": token}, headers=headers,
                             files={"attachments": ("id.pdf", PDF + bytes([n]), "application/pdf")})


async def test_two_web_processes_share_the_limits_the_sessions_and_the_uploads(db, tmp_path):
    env = await dev_server(str(tmp_path / "temporal.db"))
    shared = {"database_url": db.url, "address": env.client.service_client.config.target_host,
              "queue": f"two-webs-{uuid.uuid4().hex[:8]}", "GONGKAI_UPLOADS_DIR": str(tmp_path / "uploads"),
              "GONGKAI_SECRET_KEY": "two-web-processes-share-this-secret", "GONGKAI_INTAKE_LIMIT": str(LIMIT),
              "GONGKAI_FORWARDED_ALLOW_IPS": "127.0.0.1"}  # this test is the reverse proxy
    worker = WorkerProcess(tmp_path / "worker.log", var_dir=tmp_path / "worker-var", **shared)
    webs = [WebProcess(tmp_path / f"web-{n}.log", var_dir=tmp_path / f"web-{n}-var", **shared) for n in "ab"]
    try:
        for process in (worker, *webs):
            await process.start()
        a, b = (httpx.AsyncClient(base_url=w.url, timeout=30) for w in webs)
        async with a, b:
            # The applicant (one address) files through A, A, B: the limit's three; the fourth is refused
            # by either process.
            receipts = [await _apply(c, n) for n, c in enumerate((a, a, b))]
            found = [re.search(r'id="tracking-code">([^<]+)<', r.text) for r in receipts]
            assert all(found), [re.findall(r'class="error[^"]*"[^>]*>([^<]+)<', r.text) for r in receipts]
            codes = [f.group(1) for f in found if f]
            for n, client in enumerate((b, a), start=3):
                refused = await _apply(client, n)
                assert refused.status_code == 429 and "提交过于频繁" in refused.text
                assert int(refused.headers["Retry-After"]) > 0
            # Another applicant behind the same proxy is counted by the address the proxy forwards.
            other = await _apply(b, 5, forwarded="198.51.100.9")
            assert re.search(r'id="tracking-code">', other.text), other.text[:300]

            # An officer of the openness office (where online requests go) logs in through B; the session
            # cookie is good on A too.
            token = _token(await b.get("/login"))
            logged = await b.post("/login", data={"username": "gkb_officer", "password": "gongkai2026",
                                                  "_csrf_token": token})
            assert logged.status_code in (200, 303), logged.text[:300]
            a.cookies = b.cookies
            assert 'id="who"' in (await a.get("/")).text

            # The ID copy A stored is served by B (and the other way round).
            async def attachments() -> list[DisclosureAttachment]:
                async with db.session_factory() as s:
                    return list((await s.execute(select(DisclosureAttachment).where(
                        DisclosureAttachment.request_id.in_(codes)))).scalars())

            await wait_for(lambda: _count(attachments, 3), 60, "the three requests' ID copies")
            by_request = {f.request_id: f for f in await attachments()}
            for code, web, content in ((codes[0], b, PDF + b"\x00"), (codes[2], a, PDF + b"\x02")):
                await wait_for(lambda code=code, web=web: _visible(web, code), 60, f"{code} on the officer's page")
                got = await web.get(f"/disclosure/{code}/files/{by_request[code].id}")
                assert got.status_code == 200 and got.content == content
    finally:
        for process in (*webs, worker):
            process.stop()
        await env.shutdown()


async def _count(rows, n: int) -> bool:
    return len(await rows()) >= n


async def _visible(web: httpx.AsyncClient, code: str) -> bool:
    return (await web.get(f"/disclosure/{code}")).status_code == 200
