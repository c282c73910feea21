"""Finding a request by the applicant's ID or phone number without searching the number in clear.

Each request row keeps a keyed hash (HMAC-SHA256) of the normalised number beside it; a search
hashes the number typed and compares hashes, so only the whole number finds anything (a part of
it hashes to something else) and the column holds nothing a database reader could reverse without
the installation secret. The key is derived from that secret for this purpose alone. After a
secret rotation rows hashed with an older key are still found: a search tries every key still
accepted (GONGKAI_PREVIOUS_SECRET_KEYS)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gongkai.keys import KeyRing

PURPOSE = "lookup"
ID_DOC, PHONE = "id", "phone"  # what a hash is of: the same digits as an ID and a phone hash differently


def normalise_id(number: str) -> str:
    """Full-width forms folded, spaces and hyphens gone, upper case (a resident ID's final x is X)."""
    folded = unicodedata.normalize("NFKC", number)
    return "".join(c for c in folded if not c.isspace() and c != "-").upper()


def normalise_phone(phone: str) -> str:
    """The digits alone; a mobile written with the country code (+86, 0086) loses it."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", phone) if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            return digits[len(prefix):]
    return digits


NORMALISE = {ID_DOC: normalise_id, PHONE: normalise_phone}


def digest(key: bytes, kind: str, value: str) -> str | None:
    """The hash stored for `value` (None for an empty value: nothing to find it by)."""
    normal = NORMALISE[kind](value)
    if not normal:
        return None
    return hmac.new(key, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LookupKeys:
    ring: KeyRing

    @classmethod
    def of(cls, secret: str, previous: tuple[str, ...] = ()) -> LookupKeys:
        return cls(KeyRing.of(PURPOSE, secret, previous))

    def digest(self, kind: str, value: str) -> str | None:
        """What a row written now stores."""
        return digest(self.ring.current, kind, value)

    def candidates(self, kind: str, value: str) -> list[str]:
        """What a search compares with: the hash under each key still accepted (none for an empty value)."""
        found = [digest(key, kind, value) for key in self.ring.keys.values()]
        return [h for h in found if h is not None]


def rehash(conn: Connection, keys: LookupKeys, batch: int = 500) -> int:
    """Writes every request's hashes with the current key: after migration 0012 (rows registered
    before it) and after a secret rotation, before the old secret leaves GONGKAI_PREVIOUS_SECRET_KEYS
    (`gongkai rehash`). Returns how many rows it wrote. The caller commits."""
    table = sa.table("disclosure_request", sa.column("id", sa.String), sa.column("id_doc_number", sa.String),
                     sa.column("contact_phone", sa.String), sa.column("id_doc_hash", sa.String),
                     sa.column("phone_hash", sa.String))
    after, written = "", 0
    while True:
        rows = conn.execute(sa.select(table.c.id, table.c.id_doc_number, table.c.contact_phone)
                            .where(table.c.id > after).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return written
        for request_id, number, phone in rows:
            conn.execute(table.update().where(table.c.id == request_id).values(
                id_doc_hash=keys.digest(ID_DOC, number or ""), phone_hash=keys.digest(PHONE, phone or "")))
        written += len(rows)
        after = rows[-1][0]
