"""Small secrets and scratch data kept in SQL, sealed with AES-GCM under a key derived from the
installation secret for one purpose (gongkai/keys.py). The sealed bytes name their key, so data
sealed before a secret rotation still opens while the old secret is listed as previous."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gongkai.keys import KeyRing


def seal(ring: KeyRing, fields: dict[str, Any]) -> bytes:
    nonce = os.urandom(12)
    kid = ring.current_id.encode()
    plain = json.dumps(fields, ensure_ascii=False).encode()
    return kid + b"." + nonce + AESGCM(ring.current).encrypt(nonce, plain, kid)


def unseal(ring: KeyRing, data: bytes) -> dict[str, Any] | None:
    """The fields, or None when no key still held opens them."""
    kid, _, rest = data.partition(b".")
    key = ring.keys.get(kid.decode(errors="replace"))
    if key is None or len(rest) < 13:
        return None
    try:
        return json.loads(AESGCM(key).decrypt(rest[:12], rest[12:], kid))
    except (InvalidTag, ValueError):
        return None
