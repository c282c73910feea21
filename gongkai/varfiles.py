"""The var folder holds applicants' ID copies (uploads), the SQLite database and Temporal's state:
readable by the account that runs Gongkai only, whatever umask the shell that started it had."""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
UMASK = 0o077


def owner_only_process() -> None:
    """Everything this process and its children create (the database, Temporal's dev server, logs)
    is owner-only. Called first thing by each entry point."""
    os.umask(UMASK)


def make_dirs(path: Path) -> None:
    """`path` and any missing parents, each created owner-only (mkdir's mode covers the last only)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it meanwhile
            pass


def private_dir(root: Path) -> None:
    """Make `root` exist owner-only, and tighten what it already holds: a var folder made by an
    earlier version (or copied in) may be world-readable."""
    make_dirs(root)
    for dirpath, _dirs, files in os.walk(root):
        _tighten(Path(dirpath), DIR_MODE)
        for name in files:
            _tighten(Path(dirpath) / name, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:  # removed while we walked (a SQLite journal)
        return
    if stat.S_ISLNK(st.st_mode):  # never follow a link out of var/
        return
    if stat.S_IMODE(st.st_mode) & ~mode:
        path.chmod(stat.S_IMODE(st.st_mode) & mode)


def write_private(path: Path, content: bytes) -> None:
    """Write a new file owner-only, atomically (a reader sees all of it or none)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.chmod(tmp, FILE_MODE)  # O_CREAT's mode does not apply to a leftover .tmp of a crashed write
    tmp.replace(path)
