"""Uploaded files, content-addressed on disk under the var folder (var/uploads/ab/abcdef…)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gongkai.errors import InvalidInput, NotFound
from gongkai.settings import get_settings
from gongkai.varfiles import make_dirs, write_private

MAX_BYTES = 5 * 1024 * 1024
# Recognised by their first bytes, not by what the browser claims.
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _root() -> Path:
    return get_settings().var_dir / "uploads"


def sniff(content: bytes) -> str | None:
    return next((ctype for magic, ctype in SIGNATURES.items() if content.startswith(magic)), None)


def check_upload(filename: str, content: bytes) -> str:
    """The content type, or a clear Chinese refusal."""
    if not content:
        raise InvalidInput(f"文件“{filename}”是空文件")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"文件“{filename}”超过 5MB，请压缩后重新上传")
    ctype = sniff(content)
    if ctype is None:
        raise InvalidInput(f"文件“{filename}”不是 PDF、JPG 或 PNG 格式")
    return ctype


def save(content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    path = _root() / digest[:2] / digest
    if not path.exists():  # ID copies: owner-only, even in a process that did not set its umask
        make_dirs(path.parent)
        write_private(path, content)
    return digest


def read(digest: str) -> bytes:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise NotFound("文件不存在")
    path = _root() / digest[:2] / digest
    if not path.exists():
        raise NotFound("文件不存在")
    return path.read_bytes()
