"""A letter as its readers get it: on screen (its stored HTML with the seal's image) and as PDF,
made on the first download from what the letter said when it was issued, and kept in the blob
store so every later download is the same document."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response
from litestar.response import Template
from sqlalchemy import select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai import blobs
from gongkai.errors import Conflict, NotFound
from gongkai.letter_pdf import letter_pdf_async
from gongkai.letters import with_seal
from gongkai.logs import get_logger
from models import Letter

log = get_logger(__name__)


def letter_ref(value: str) -> tuple[int, bool]:
    """A letter's path segment: (id, as PDF?) from `12` or `12.pdf`."""
    number, pdf = (value[:-4], True) if value.endswith(".pdf") else (value, False)
    if not number.isascii() or not number.isdigit() or len(number) > 12:
        raise NotFound("文书不存在")
    return int(number), pdf


async def case_letter(db: AsyncSession, case_id: str, letter_id: int, *, public_only: bool = False) -> Letter:
    letter = await db.get(Letter, letter_id)
    if letter is None or letter.case_id != case_id or (public_only and not letter.public):
        raise NotFound("文书不存在")
    return letter


async def pdf_of(db: AsyncSession, letter: Letter) -> bytes:
    """The letter's PDF: the one kept, or made now and kept. This cache is the one row the web
    writes into a letter (what the letter says was frozen when the workflow issued it)."""
    kept = letter.pdf_sha256
    if kept:
        try:
            return blobs.read(kept)
        except NotFound:  # the file was lost (var/ not restored): made again from the same text
            log.warning("letter_pdf_missing", case_id=letter.case_id, letter_id=letter.id)
    try:
        seal = blobs.read(letter.seal_sha256) if letter.seal_sha256 else None
    except NotFound:
        raise Conflict("该文书的电子印章图片缺失，暂不能生成 PDF，请联系系统管理员重新上传印章") from None
    content = await letter_pdf_async(letter.body, seal, letter.title)
    digest = blobs.save(content)
    # Two first downloads at once both render; the first to record its file wins, both serve it.
    unset = col(Letter.pdf_sha256).is_(None) if kept is None else col(Letter.pdf_sha256) == kept
    await db.execute(update(Letter).where(col(Letter.id) == letter.id, unset)
                     .values(pdf_sha256=digest).execution_options(synchronize_session=False))
    await db.commit()
    winner = (await db.execute(select(Letter.pdf_sha256).where(col(Letter.id) == letter.id))).scalar_one()
    log.info("letter_pdf_made", case_id=letter.case_id, letter_id=letter.id, bytes=len(content))
    return content if winner == digest else blobs.read(winner or digest)


async def pdf_response(db: AsyncSession, letter: Letter) -> Response:
    name = f"{letter.case_id}-{letter.title}.pdf"
    return Response(await pdf_of(db, letter), media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{letter.case_id}.pdf\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff"})


async def letter_view(db: AsyncSession, base: str, case_id: str, letter_id: str) -> Template | Response:
    """A case's letter for officers, under `base` (/disclosure, /incidents): on screen (`12`) with its
    seal, or its PDF (`12.pdf`). The caller has checked the case is visible to the person."""
    number, as_pdf = letter_ref(letter_id)
    letter = await case_letter(db, case_id, number)
    if as_pdf:
        return await pdf_response(db, letter)
    seal = f"{base}/{case_id}/letters/{letter.id}/seal" if letter.seal_sha256 else None
    return Template("disclosure/letter.html", context={
        "letter": letter, "body": with_seal(letter.body, seal), "pdf": f"{base}/{case_id}/letters/{letter.id}.pdf"})


async def seal_image(db: AsyncSession, case_id: str, letter_id: str) -> Response:
    """The seal a letter was issued with, for its screen view (the case checked visible by the caller)."""
    letter = await case_letter(db, case_id, letter_ref(letter_id)[0])
    if not letter.seal_sha256:
        raise NotFound("该文书没有电子印章")
    content = blobs.read(letter.seal_sha256)
    return Response(content, media_type=blobs.sniff(content) or "application/octet-stream")
