"""`gongkai backup` copies the application database and Temporal's state at one point of the cases'
history: a write that comes between the two copies waits until both are taken (gongkai/backup.py)."""

from __future__ import annotations

import sqlite3
import threading
import time

from gongkai import backup
from gongkai.settings import load_settings


def test_a_write_between_the_two_copies_waits_for_both(tmp_path, monkeypatch):
    app_db, temporal_db = tmp_path / "gongkai.db", tmp_path / "temporal.db"
    for path in (app_db, temporal_db):
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE t (x INTEGER)")
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{app_db}")
    monkeypatch.setenv("GONGKAI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGKAI_EMBEDDED_TEMPORAL", "1")
    monkeypatch.setenv("GONGKAI_SECRET_KEY", "k" * 40)
    copied: dict[str, float] = {}
    written: list[float] = []
    real_copy = backup._copy_sqlite

    def write_a_row() -> None:  # an activity projecting a step, meanwhile
        with sqlite3.connect(app_db, timeout=30) as conn:
            conn.execute("INSERT INTO t VALUES (1)")
        written.append(time.monotonic())

    def copy(src, dst) -> None:
        real_copy(src, dst)
        copied[src.name] = time.monotonic()
        if src == app_db:
            threading.Thread(target=write_a_row).start()
            time.sleep(0.5)  # the writer has its chance before Temporal's state is copied

    monkeypatch.setattr(backup, "_copy_sqlite", copy)
    backup.backup(load_settings(), tmp_path / "b.tar.gz")
    deadline = time.monotonic() + 10
    while not written and time.monotonic() < deadline:
        time.sleep(0.05)
    assert written and written[0] > copied["temporal.db"] > copied["gongkai.db"]
