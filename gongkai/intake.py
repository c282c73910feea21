"""Business keys for new cases (DR-2026-000123), allocated once per submitted form, and the
applicant's query code for a request.

A query code is random (12 characters from an alphabet without look-alikes: about 59 bits), shown
once, and stored only as a slow salted hash (argon2) in `intake_key`; it is never derived from
anything and never travels to Temporal. A resubmission of the same form (a double click, or back and
submit again) shows a new code; the earlier ones keep working (up to MAX_CODES), since the applicant
may have written down either.

A resubmission can also come from a fresh copy of the form: going back re-fetches the page (it is
no-store), which hands out a new form key. So a public submission also records a keyed fingerprint
of its content (applicant name, ID number, request text, normalised) as a second key: the same
content within FINGERPRINT_WINDOW finds the same request. The fingerprint is an HMAC under a key
derived from the installation secret, never a plain hash an ID number could be guessed back from."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import Conflict
from gongkai.keys import derive
from gongkai.passwords import hash_password, verify_password
from models import CaseCounter, IntakeKey

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1
CODE_LENGTH = 12
LEGACY = "sha256:"  # codes handed out before random codes: an unsalted hash, kept until they close
MAX_CODES = 3
FINGERPRINT = "content:"  # the prefix of a fingerprint key (form keys are 32 hex digits)
FINGERPRINT_WINDOW = timedelta(hours=24)  # later, the same text is a new request (the register warns)


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal(code: str) -> str:
    return "".join(code.split()).upper()[:64]


def _normal_text(value: str) -> str:
    """Full-width and half-width alike, case and every space ignored (a textarea sends \r\n)."""
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


def fingerprint(secret: str, name: str, id_doc_number: str, description: str) -> str:
    """The key a public submission's content is recorded under (64 characters, like the column)."""
    message = "\x1f".join(_normal_text(v) for v in (name, id_doc_number, description)).encode()
    digest = hmac.new(derive(secret, "intake-fingerprint"), message, hashlib.sha256).hexdigest()
    return FINGERPRINT + digest[:64 - len(FINGERPRINT)]


async def code_matches(db: AsyncSession, request_id: str, code: str) -> bool:
    """Whether `code` is the request's query code (argon2 takes a tenth of a second by design: off
    the event loop)."""
    stored = (await db.execute(select(col(IntakeKey.code_hash)).where(col(IntakeKey.request_id) == request_id,
                                                                 col(IntakeKey.code_hash).is_not(None)))
              ).scalars().first()
    return await asyncio.to_thread(_any_matches, (stored or "").split(), normal(code))


def _any_matches(hashes: Sequence[str], code: str) -> bool:
    if not hashes:
        return verify_password(None, code)  # as long as a real check: no telling unknown requests apart
    return any(_matches(h, code) for h in hashes)


def _matches(stored: str, code: str) -> bool:
    if stored.startswith(LEGACY):
        return hmac.compare_digest(stored.removeprefix(LEGACY), hashlib.sha256(code.encode()).hexdigest())
    return verify_password(stored, code)


async def allocate(db: AsyncSession, key: str, process: str = "disclosure", prefix: str = "DR", *,
                   with_code: bool = False, content: str | None = None) -> tuple[str, str | None, bool]:
    """(tracking code, query code if asked for, new?) for a form submission key; the same key, the
    same case. With `content` (a `fingerprint`), the same content within the window too."""
    code = new_query_code() if with_code else None
    code_hash = await asyncio.to_thread(hash_password, code) if code else None
    found = await _known(db, key, content)
    if found:
        return found, await _replace_code(db, found, code, code_hash), False
    year = datetime.now(CST).year
    # One statement reads and bumps the counter. A read then a write (SELECT … FOR UPDATE, which
    # SQLite ignores) let two concurrent submissions take the same number on SQLite: the second
    # applicant got the first one's code and their request was never started (bench/load.py).
    bump = (update(CaseCounter).where(col(CaseCounter.process) == process, col(CaseCounter.year) == year)
            .values(value=col(CaseCounter.value) + 1).returning(col(CaseCounter.value))
            .execution_options(synchronize_session=False))
    for _attempt in range(5):
        value = (await db.execute(bump)).scalar_one_or_none()
        if value is None:  # the year's first: a concurrent first insert fails below and retries
            value = 1
            db.add(CaseCounter(process=process, year=year, value=value))
        request_id = f"{prefix}-{year}-{value:06d}"
        db.add(IntakeKey(key=key, request_id=request_id, code_hash=code_hash))
        try:
            if content and not await _claim_content(db, content, request_id):
                raise IntegrityError("content", None, Exception("made by a concurrent submission"))
            await db.commit()
            return request_id, code, True
        except IntegrityError:  # a concurrent submission of the same form or content, or of the counter
            await db.rollback()
            found = await _known(db, key, content)
            if found:
                return found, await _replace_code(db, found, code, code_hash), False
    raise Conflict("系统繁忙，请稍后重试")


async def _claim_content(db: AsyncSession, content: str, request_id: str) -> bool:
    """Record `content` as this request's (in the allocating transaction); False if a concurrent
    submission of the same content has just done so (the caller then finds its request)."""
    seen = (await db.execute(select(col(IntakeKey.created_at)).where(col(IntakeKey.key) == content))).first()
    if seen is None:
        db.add(IntakeKey(key=content, request_id=request_id))  # a concurrent insert fails the commit
        return True
    if seen[0] >= datetime.now(UTC) - FINGERPRINT_WINDOW:
        return False
    # Older than the window: it names this request now, unless another submission got there first.
    moved = await db.execute(update(IntakeKey).where(col(IntakeKey.key) == content,
                                                     col(IntakeKey.created_at) == seen[0])
                             .values(request_id=request_id, created_at=datetime.now(UTC))
                             .execution_options(synchronize_session=False))
    return getattr(moved, "rowcount", 0) == 1


async def _known(db: AsyncSession, key: str, content: str | None) -> str | None:
    """The request this form key made, or (recently) this content; a form key seen the first time
    with known content is recorded too, so its own reload finds the request directly."""
    existing = await db.get(IntakeKey, key)
    if existing:
        return existing.request_id
    if not content:
        return None
    seen = await db.get(IntakeKey, content)
    if seen is None or seen.created_at < datetime.now(UTC) - FINGERPRINT_WINDOW:
        return None
    db.add(IntakeKey(key=key, request_id=seen.request_id))
    try:
        await db.commit()
    except IntegrityError:  # the same form a second time at once: its row is there
        await db.rollback()
    return seen.request_id


async def _replace_code(db: AsyncSession, request_id: str, code: str | None, code_hash: str | None) -> str | None:
    """Add a new code to the request's codes (on the one key row that holds them), dropping the oldest
    past MAX_CODES."""
    if code is None or code_hash is None:
        return None
    rows = list((await db.execute(select(IntakeKey).where(col(IntakeKey.request_id) == request_id)
                                  .order_by(col(IntakeKey.code_hash).is_(None), col(IntakeKey.created_at))
                                  )).scalars())
    row = rows[0]  # the one with codes; a request allocated without one takes them on its first key
    kept = (row.code_hash or "").split()[-(MAX_CODES - 1):]
    row.code_hash = " ".join([*kept, code_hash])
    await db.commit()
    return code
