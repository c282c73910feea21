"""文号 are numbered per agency, year and kind of letter, in the transaction that issues the letter:
letters issued at once get consecutive numbers, a retried projection takes none (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import select

from activities.disclosure import DisclosureActivities
from contracts.case import CaseProjection, LetterSpec
from contracts.disclosure import CreateInput, DisclosureView
from gongkai.disclosure import Stage
from gongkai.settings import get_settings
from models import Letter, LetterCounter, OfficeProfile
from tests.workflows.disclosure_support import department_id, request_input
from worker import lookup_keys

AT = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
N = 8


async def _cases(db, acts: DisclosureActivities, count: int) -> list[str]:
    dept = await department_id(db, "JYJ")
    ids = [f"DR-2026-{900 + i:06d}" for i in range(count)]
    for rid in ids:
        await acts.create(CreateInput(request_input(rid, dept, AT), rid, "review", 2026))
    return ids


def _correction(rid: str, dept: int, version: int = 1, kind: str = "correction") -> CaseProjection:
    view = DisclosureView(stage=Stage.CORRECTION, department_id=dept, received_date="2026-03-04",
                          correction_items="请写明年份", correction_due="2026-03-13", request_id=rid, version=version)
    return CaseProjection(rid, rid, version, json.loads(json.dumps(asdict(view), default=str)), "jyj_officer",
                          "correction_requested", "发出补正告知", AT,
                          letters=[LetterSpec(f"{rid}/letter:{kind}/{version}", kind, "补正申请告知书")])


async def _letters(db) -> list[Letter]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Letter).order_by(Letter.doc_no))).scalars())


async def test_letters_issued_at_once_get_consecutive_numbers_and_a_retry_takes_none(db):
    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
    dept = await department_id(db, "JYJ")
    ids = await _cases(db, acts, N)
    projections = [_correction(rid, dept) for rid in ids]

    await asyncio.gather(*(acts.write(p) for p in projections))
    letters = await _letters(db)
    numbers = sorted(int(x.doc_no.removeprefix("示区府公开补〔2026〕").removesuffix("号")) for x in letters)
    assert numbers == list(range(1, N + 1)), [x.doc_no for x in letters]
    for letter in letters:  # each letter says its own number
        assert letter.doc_no in letter.body and letter.seal_sha256 is not None

    # Retried (one at a time, and a pair at once): nothing new is issued, no number is taken.
    assert await acts.write(projections[0]) == 0
    await asyncio.gather(acts.write(projections[1]), acts.write(projections[1]))
    async with db.session_factory() as s:
        counter = await s.get(LetterCounter, ("示区府公开", 2026, "correction"))
        assert counter is not None and counter.value == N
    assert len(await _letters(db)) == N

    # The next letter of the series continues it; another series starts at 1.
    await acts.write(_correction(ids[0], dept, version=2))
    await acts.write(_correction(ids[1], dept, version=2, kind="extension"))
    assert {x.doc_no for x in await _letters(db)} >= {f"示区府公开补〔2026〕{N + 1}号", "示区府公开延〔2026〕1号"}


async def test_an_office_without_particulars_still_numbers_its_letters(db):
    """Before an administrator fills in 本机关信息, letters say what is missing and still number."""
    async with db.session_factory() as s:
        await s.delete(await s.get(OfficeProfile, 1))
        await s.commit()
    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
    dept = await department_id(db, "JYJ")
    (rid,) = await _cases(db, acts, 1)
    await acts.write(_correction(rid, dept))
    (letter,) = await _letters(db)
    assert letter.doc_no == "补〔2026〕1号" and "（未设置）" in letter.body and letter.seal_sha256 is None
