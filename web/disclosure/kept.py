"""Uploads kept across a refused submission: a browser cannot put a chosen file back into a file
input, so the server keeps the good files of a refused try (in the upload store, as every accepted
upload is) and the form carries a token per file. The token is signed (HMAC with a key derived
from the installation secret) and names the file's digest, its name and when it was kept, so a
form can only bring back what this server kept for it, and only for a day. A kept file whose 移除
box is ticked (`kept_remove`) is not brought back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from gongkai import blobs
from gongkai.errors import NotFound
from gongkai.keys import derive
from gongkai.settings import get_settings

FIELD, REMOVE = "kept", "kept_remove"
MAX_AGE = 24 * 3600  # seconds a kept file may be brought back


def _key() -> bytes:
    return derive(get_settings().secret_key, "kept-uploads")


def _mac(body: str) -> str:
    return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()[:32]


def token(digest: str, name: str, at: int | None = None) -> str:
    encoded = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    body = f"{digest}.{encoded}.{int(time.time()) if at is None else at}"
    return f"{body}.{_mac(body)}"


def opened(value: str, now: float | None = None) -> tuple[str, str] | None:
    """(digest, name) of a token this server signed within the day, or None."""
    parts = value.split(".")
    if len(parts) != 4:
        return None
    digest, encoded, at, mac = parts
    if not hmac.compare_digest(mac, _mac(f"{digest}.{encoded}.{at}")) or not at.isdigit():
        return None
    if (time.time() if now is None else now) - int(at) > MAX_AGE:
        return None
    try:
        name = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None
    return digest, name


def _values(data: dict, name: str) -> list[str]:
    raw = data.get(name)
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [v for v in items if isinstance(v, str)]


def keep(uploads: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Store the files of a refused try; what the form shows and sends back for each."""
    return [{"token": token(blobs.save(content), name), "name": name} for name, content in uploads]


def restore(data: dict) -> list[tuple[str, bytes]]:
    """The kept files the form sends back (minus those the person removed), as (name, content)."""
    removed = set(_values(data, REMOVE))
    out = []
    for value in _values(data, FIELD)[:10]:
        if value in removed or (it := opened(value)) is None:
            continue
        digest, name = it
        try:
            out.append((name, blobs.read(digest)))
        except NotFound:
            continue  # gone from the store: the form asks for the file again
    return out
