"""Uploaded files, content-addressed on disk under the uploads folder (var/uploads/ab/abcdef… unless
GONGKAI_UPLOADS_DIR names a shared one)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from gongkai.errors import InvalidInput, NotFound
from gongkai.settings import get_settings
from gongkai.varfiles import make_dirs, write_private

MAX_BYTES = 5 * 1024 * 1024
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Recognised by their first bytes, not by what the browser claims. A .docx is a ZIP: it is one only
# if word/document.xml is inside (so no other ZIP passes as Word); a legacy .doc is an OLE2 file.
SIGNATURES = {b"%PDF-": PDF, b"\x89PNG\r\n\x1a\n": PNG, b"\xff\xd8\xff": JPEG,
              b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": DOC, b"PK\x03\x04": DOCX}
ID_COPIES = frozenset({PDF, PNG, JPEG})  # what an applicant's identity document may be
DOCUMENTS = frozenset({PDF, PNG, JPEG, DOC, DOCX})  # what a reply may carry
KIND_ZH = {ID_COPIES: "PDF、JPG 或 PNG", DOCUMENTS: "PDF、Word（doc、docx）、JPG 或 PNG"}
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOC: ".doc", DOCX: ".docx"}


def _root() -> Path:
    return get_settings().uploads


def sniff(content: bytes) -> str | None:
    ctype = next((ctype for magic, ctype in SIGNATURES.items() if content.startswith(magic)), None)
    if ctype == DOCX and not _is_word(content):
        return None
    return ctype


def _is_word(content: bytes) -> bool:
    """A ZIP whose directory lists word/document.xml (read from the directory, nothing unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def check_upload(filename: str, content: bytes, kinds: frozenset[str] = ID_COPIES) -> str:
    """The content type, or a clear Chinese refusal."""
    if not content:
        raise InvalidInput(f"文件“{filename}”是空文件")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"文件“{filename}”超过 5MB，请压缩后重新上传")
    ctype = sniff(content)
    if ctype not in kinds:
        raise InvalidInput(f"文件“{filename}”不是 {KIND_ZH.get(kinds, 'PDF、JPG 或 PNG')} 格式")
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
