"""var/ holds applicants' ID copies and the database: owner-only (finding 9 of issue 13)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gongkai import blobs
from gongkai.varfiles import private_dir

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n% identity card\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The usual shell umask (022), under which files are world-readable unless we say otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_stored_upload_and_its_folders_are_owner_only(tmp_path, monkeypatch, loose_umask):
    root = tmp_path / "var" / "uploads"
    monkeypatch.setattr(blobs, "_root", lambda: root)
    digest = blobs.save(PDF)
    stored = root / digest[:2] / digest
    assert stored.read_bytes() == PDF and blobs.read(digest) == PDF
    assert mode(stored) == 0o600
    assert [mode(d) for d in (tmp_path / "var", root, stored.parent)] == [0o700] * 3
    assert not list(stored.parent.glob("*.tmp"))


def test_an_existing_world_readable_var_folder_is_tightened(tmp_path):
    var = tmp_path / "var"
    (var / "uploads" / "ab").mkdir(parents=True)
    copy = var / "uploads" / "ab" / "abcd"
    copy.write_bytes(PDF)
    for path, loose in ((var, 0o755), (var / "uploads", 0o755), (var / "uploads" / "ab", 0o777), (copy, 0o644)):
        path.chmod(loose)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (var / "link").symlink_to(outside)
    private_dir(var)
    assert [mode(p) for p in (var, var / "uploads", var / "uploads" / "ab")] == [0o700] * 3
    assert mode(copy) == 0o600
    assert mode(outside) == 0o644  # a link is not followed out of var/


def test_the_command_creates_var_and_the_database_owner_only(tmp_path):
    env = {**os.environ, "GONGKAI_VAR_DIR": str(tmp_path / "var"), "GONGKAI_LOG_FORMAT": "json"}
    env.pop("GONGKAI_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "shell.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, umask=0o022, timeout=120)
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "gongkai.db") == 0o600
