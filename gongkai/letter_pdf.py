"""A letter's PDF: its stored HTML on A4 in the GB/T 9704 layout (gongkai/letters/print.css),
Noto CJK embedded, the seal over the signature. weasyprint (on Debian's pango) lays it out.

`letter_pdf(body, seal)` is synchronous and takes about a tenth of a second of CPU (bench/letters.py):
from async code call `letter_pdf_async`, which runs it on a worker thread."""

from __future__ import annotations

import asyncio
import base64
import threading
from html import escape
from pathlib import Path

from gongkai.blobs import sniff
from gongkai.errors import InvalidInput
from gongkai.letters import with_seal

CSS = (Path(__file__).resolve().parent / "letters" / "print.css").read_text()
# One at a time: a render holds the fonts' pango/fontconfig state, and two cores serve the web.
_rendering = threading.Lock()


def letter_pdf(body: str, seal: bytes | None = None, title: str = "") -> bytes:
    """The PDF of a letter's stored HTML, with `seal` (PNG or JPEG bytes) at its seal's place."""
    src = None
    if seal:
        ctype = sniff(seal)
        if ctype not in {"image/png", "image/jpeg"}:
            raise InvalidInput("印章图片不是 PNG 或 JPEG 格式")
        src = f"data:{ctype};base64,{base64.b64encode(seal).decode()}"
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{with_seal(body, src)}</body></html>")
    from weasyprint import HTML, URLFetcher  # a second to import: only where letters are printed

    # A letter loads nothing but its seal, which comes inline (its text is escaped); a seal that
    # cannot be read fails the render rather than make an unsealed document.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    with _rendering:
        content = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert content is not None  # bytes when no target is given
    return content


async def letter_pdf_async(body: str, seal: bytes | None = None, title: str = "") -> bytes:
    return await asyncio.to_thread(letter_pdf, body, seal, title)
