"""Backup and restore of an installation on its embedded default (`gongkai backup`, `gongkai
restore`): the application database (SQLite), Temporal's state when it is the embedded dev server
(var/temporal.db), the uploaded files, and the settings without secrets, in one owner-only tar file.

A snapshot is taken while everything runs, with SQLite's online backup (a consistent copy of each
database, whatever is being written). The two databases are copied at one point of the cases'
history: the backup holds the application database's write lock (BEGIN IMMEDIATE) from before its
copy until Temporal's state is copied too, so no activity writes a row meanwhile, and no workflow
can be a step ahead of its row (a step needs its row written first). A workflow may be between
writing its row and hearing it was written: after a restore its activity runs again, writing the
same row (activities are idempotent), and reconciliation sees a settling case, not a drift. Writers
wait for the copy (the busy timeout, 10 s; an activity that waits longer is retried). Uploads come
last, so every file a case refers to is in the copy.

The installation secret is not in the backup (it opens the encrypted workflow payloads): keep it
apart (var/secret, or GONGKAI_SECRET_KEY). The manifest holds a check value of it, so a restore with
another secret is refused before anything is written. PostgreSQL and an external Temporal have
their own tools (README, "Backup and restore")."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gongkai.errors import Conflict, InvalidInput
from gongkai.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
APP_DB, TEMPORAL_DB, UPLOADS = "gongkai.db", "temporal.db", "uploads"
# Settings a restore reports (to compare with the new installation's); never a secret or a password.
KEPT_SETTINGS = ("env", "task_queue", "temporal_namespace", "profile", "intake_limit", "intake_window",
                 "public_url", "smtp_host", "smtp_port", "smtp_sender", "smtp_security")


@dataclass
class Manifest:
    format: int
    created_at: str
    secret_check: str  # HMAC of a fixed text under the installation secret: the same secret, or refused
    files: dict[str, dict] = field(default_factory=dict)  # member -> {"size", "sha256"}
    settings: dict = field(default_factory=dict)
    temporal: str = "embedded"  # "embedded" (its state is in the backup) or "external" (back it up apart)


def secret_check(secret: str) -> str:
    return hmac.new(secret.encode(), b"gongkai-backup", hashlib.sha256).hexdigest()[:32]


def _app_db_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise InvalidInput("应用数据库是 PostgreSQL：请用 pg_dump / pg_restore 备份和恢复（见 README）。"
                           "The application database is PostgreSQL: back it up with pg_dump (README).")
    return Path(settings.sync_database_url.removeprefix("sqlite:///"))


def _copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy of a live SQLite database (its WAL included), by the online backup API."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


@contextmanager
def _writes_held(db: Path) -> Iterator[None]:
    """No one writes `db` while held; readers (the copy among them) go on."""
    lock = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        yield
    finally:
        lock.execute("ROLLBACK")
        lock.close()


def _digest(path: Path) -> dict:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return {"size": path.stat().st_size, "sha256": h.hexdigest()}


def backup(settings: Settings, out: Path) -> Manifest:
    """Write the snapshot to `out` (refused if it exists: a backup is never overwritten)."""
    if out.exists():
        raise Conflict(f"{out} 已存在，未覆盖 (exists, not overwritten)")
    app_db = _app_db_path(settings)
    if not app_db.exists():
        raise InvalidInput(f"没有找到应用数据库 {app_db} (no database: nothing to back up)")
    embedded = settings.embedded_temporal
    temporal_db = settings.var_dir / TEMPORAL_DB
    manifest = Manifest(FORMAT, datetime.now(UTC).isoformat(), secret_check(settings.secret_key),
                        settings={k: getattr(settings, k) for k in KEPT_SETTINGS},
                        temporal="embedded" if embedded else "external")
    with tempfile.TemporaryDirectory(dir=out.parent) as work:
        staged = Path(work)
        if embedded and not temporal_db.exists():
            raise InvalidInput(f"没有找到 Temporal 状态文件 {temporal_db} (no embedded Temporal state)")
        members = [APP_DB, TEMPORAL_DB] if embedded else [APP_DB]
        with _writes_held(app_db):  # both at one point of the cases' history: the module's note
            _copy_sqlite(app_db, staged / APP_DB)
            if embedded:
                _copy_sqlite(temporal_db, staged / TEMPORAL_DB)
        for member in members:
            manifest.files[member] = _digest(staged / member)
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for member in members:
                tar.add(staged / member, arcname=member)
            uploads = settings.uploads
            if uploads.exists():
                for path in sorted(p for p in uploads.rglob("*") if p.is_file() and not p.name.endswith(".tmp")):
                    name = f"{UPLOADS}/{path.relative_to(uploads)}"
                    manifest.files[name] = _digest(path)
                    tar.add(path, arcname=name)
            data = json.dumps(asdict(manifest), ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        partial.rename(out)
    return manifest


def read_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            data = json.loads(member.read())
    except (OSError, EOFError, tarfile.TarError, zlib.error, KeyError, ValueError):
        raise InvalidInput(f"{archive} 不是 Gongkai 备份文件 (not a Gongkai backup)") from None
    if data.get("format") != FORMAT:
        raise InvalidInput(f"备份格式 {data.get('format')} 不受支持 (unsupported backup format)")
    return Manifest(**data)


def _unpack(archive: Path, manifest: Manifest, staged: Path) -> None:
    """Every member the manifest names, into `staged`, each checked against its checksum."""
    with tarfile.open(archive, "r:gz") as tar:
        for name, expected in manifest.files.items():
            if Path(name).is_absolute() or ".." in Path(name).parts:
                raise InvalidInput(f"备份文件含有无效的 {name} (invalid member)")
            member = tar.extractfile(name)
            if member is None:
                raise InvalidInput(f"备份文件缺少 {name} (missing member)")
            target = staged / name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            target.write_bytes(member.read())
            if _digest(target) != expected:
                raise InvalidInput(f"{name} 校验不符，备份文件已损坏 (checksum mismatch: the backup is damaged)")


def restore(settings: Settings, archive: Path) -> Manifest:
    """Bring the snapshot back into this (empty) installation: refused if it already has a
    database, if the secret is not the one the backup was made with, or if a file does not match
    its checksum; nothing is left half-written."""
    manifest = read_manifest(archive)
    if not hmac.compare_digest(manifest.secret_check, secret_check(settings.secret_key)):
        raise InvalidInput("安装密钥与备份时不同：请把原安装的 var/secret 复制到新目录，或设置相同的 "
                           "GONGKAI_SECRET_KEY (the installation secret differs from the backup's)")
    app_db = _app_db_path(settings)
    temporal_db = settings.var_dir / TEMPORAL_DB
    for existing in (app_db, temporal_db):
        if existing.exists():
            raise Conflict(f"{existing} 已存在：只能恢复到新的空目录 (restore into an empty installation only)")
    settings.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=settings.var_dir) as work:
        staged = Path(work)
        try:
            _unpack(archive, manifest, staged)
        except (OSError, EOFError, tarfile.TarError, zlib.error):
            raise InvalidInput(f"{archive} 已损坏，无法读出 (the backup is damaged)") from None
        # All checked: move into place (the databases last, so a half-restored folder has no database).
        uploads = staged / UPLOADS
        if uploads.exists():
            for path in sorted(p for p in uploads.rglob("*") if p.is_file()):
                dest = settings.uploads / path.relative_to(uploads)
                dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                if not dest.exists():
                    shutil.move(path, dest)
        if TEMPORAL_DB in manifest.files:
            shutil.move(staged / TEMPORAL_DB, temporal_db)
        app_db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.move(staged / APP_DB, app_db)
    return manifest
