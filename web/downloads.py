"""How a stored file leaves as a download: under its original name (RFC 6266 with RFC 5987's
filename*, so Chinese names survive; a plain ASCII name for old clients), never sniffed."""

from __future__ import annotations

import re
from urllib.parse import quote

from litestar import Response

_UNSAFE = re.compile(r'[^A-Za-z0-9._\-]')


def disposition(filename: str) -> str:
    """`attachment` with the name twice: ASCII only (the rest as _), and UTF-8 percent-encoded."""
    name = "".join(ch for ch in filename if ch.isprintable()).strip() or "file"
    fallback = _UNSAFE.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(content: bytes, filename: str, content_type: str) -> Response:
    return Response(content, media_type=content_type,
                    headers={"Content-Disposition": disposition(filename), "X-Content-Type-Options": "nosniff"})
