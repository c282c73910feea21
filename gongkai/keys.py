"""The installation's secret and the keys derived from it, one per purpose.

One secret (GONGKAI_SECRET_KEY, or var/secret which the first start writes, owner-only) gives every
key: sessions and CSRF, the actor proofs the web signs, the Temporal payload encryption. Keys are
derived (HKDF), so a leak of one does not give the others. Older secrets, listed in
GONGKAI_PREVIOUS_SECRET_KEYS, still open what they encrypted and verify what they signed; new data
uses the current one. Each key has an id, so a payload names the key that opens it."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_FILE = "secret"


def derive(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gongkai", info=purpose.encode()).derive(secret.encode())


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"gongkai-key-id" + key).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The current key (to encrypt and sign) and every key still accepted (to decrypt and verify)."""

    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    @classmethod
    def of(cls, purpose: str, secret: str, previous: tuple[str, ...] = ()) -> KeyRing:
        keys = {}
        for s in (secret, *previous):
            key = derive(s, purpose)
            keys[key_id(key)] = key
        return cls(key_id(derive(secret, purpose)), keys)


def installation_secret(var_dir: Path) -> str:
    """var/secret, written on the first start with 256 random bits, readable by its owner only.
    Concurrent first starts (the worker and the web) agree: one creates it, the others read it."""
    path = var_dir / SECRET_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
    for _ in range(50):  # a concurrent creator may not have written it yet
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"{path} is empty")
