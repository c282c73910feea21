"""The applicant's query code (finding 2 of the security probe): random, shown once, stored only
as an argon2 hash in SQL, never derivable from what Temporal holds; and codes handed out before
keep working after the migration."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlmodel import select

from gongkai.intake import CODE_ALPHABET, CODE_LENGTH, code_matches
from gongkai.settings import DEV_SECRET
from models import DisclosureRequest, IntakeKey
from tests.web.conftest import post_form
from tests.web.test_disclosure_pages import _apply, _form


def _derived(key: str) -> str:
    """The code as the code before this issue derived it from the form key and the secret."""
    digest = hmac.new(DEV_SECRET.encode(), key.encode(), hashlib.sha256).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:8])


async def _track(live, code: str, query: str) -> int:
    return (await post_form(live, "/track", {"code": code, "query_code": query})).status_code


async def test_a_query_code_is_random_hashed_and_not_derivable(live, db):
    form = _form()
    receipt = await _apply(live, form)
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)
    assert len(query) == CODE_LENGTH and set(query) <= set(CODE_ALPHABET)
    async with db.session_factory() as s:
        keys = list((await s.execute(select(IntakeKey).where(IntakeKey.request_id == code))).scalars())
        [intake] = [k for k in keys if k.code_hash]  # the form's key; its content's fingerprint holds none
        assert sorted(k.key.startswith("content:") for k in keys) == [False, True] and intake.key == form["form_key"]
        row = await s.get(DisclosureRequest, code)
    assert intake.code_hash and intake.code_hash.startswith("$argon2id$") and query not in intake.code_hash
    assert row is not None and row.query_code_hash == ""  # the request row comes from the workflow's input
    # What the form key and the published secret gave before is no code now.
    assert await _track(live, code, _derived(form["form_key"])) == 400
    assert await _track(live, code, query) == 200
    assert await _track(live, code, query.lower()[:6] + " " + query.lower()[6:]) == 200  # as people type it
    # The same form sent again (a double click, or back and submit) shows a new code; both work.
    again = await _apply(live, form)
    second = re.search(r'id="query-code">([^<]+)<', again.text).group(1)
    assert second != query
    assert await _track(live, code, second) == 200 and await _track(live, code, query) == 200


async def test_codes_handed_out_before_keep_working_after_the_migration():
    from alembic import command

    from gongkai.database import alembic_config
    from models.base import utcnow
    from tests.support.database import _settings_for, backends, create_database

    for backend in backends():
        database = create_database(backend, revision="0005")
        try:
            url = _settings_for(database.url).sync_database_url
            engine = create_engine(url)
            old_code = "ABCD2345"
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO intake_key (key, request_id, created_at) VALUES (:k, :r, :t)"),
                             {"k": "form-key-1", "r": "DR-2026-000001", "t": utcnow()})
                conn.execute(DisclosureRequest.__table__.insert().values(
                    id="DR-2026-000001", year=2026, idempotency_key="form-key-1",
                    query_code_hash=hashlib.sha256(old_code.encode()).hexdigest(), stage="review",
                    intake_channel="online", submitted_at=datetime(2026, 11, 2, tzinfo=UTC), applicant_type="x",
                    applicant_name="x", id_doc_type="x", id_doc_number="x", description="x", provision_form="x",
                    provision_channel="x", department_id=1, state={}, version=1))
            command.upgrade(alembic_config(url), "head")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT query_code_hash FROM disclosure_request")).scalar_one() == ""
            engine.dispose()
            async with database.session_factory() as s:
                assert await code_matches(s, "DR-2026-000001", "abcd 2345")
                assert not await code_matches(s, "DR-2026-000001", "ABCD2346")
                assert not await code_matches(s, "DR-2026-000002", old_code)
        finally:
            await database.close()


async def test_an_officer_registration_shows_the_code_in_the_answer_never_in_a_url(live, db):
    from models import User
    from tests.web.conftest import csrf, login

    async with db.session_factory() as s:
        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    await login(live, "jyj_officer")
    form = _form(intake_channel="in_person", received_date="2026-01-05", department_id=str(me.department_id))
    r = await live.post("/disclosure/new", data={**form, "_csrf_token": await csrf(live, "/disclosure/new")},
                        follow_redirects=False)
    query = re.search(r'id="query-code">([^<]+)<', r.text).group(1)
    code = r.headers["location"].rsplit("/", 1)[1]
    assert r.status_code == 201 and r.headers["location"] == f"/disclosure/{code}"  # no code in it
    assert r.headers["cache-control"] == "no-store"
    again = await live.get(f"/disclosure/{code}?query_code={query}")  # the old address shows no code
    assert again.status_code == 200 and query not in again.text
    assert await _track(live, code, query) == 200
