"""Processes a test run started, found and stopped. Standard library only: `scripts/test.sh` runs
the whole suite under `python -m tests.support.processes guard -- …`, which counts the Temporal,
Gongkai, PostgreSQL and chromium processes before and after and fails the run if it left any.

Two ways to know a process is ours, as neither alone suffices:
- descendants: the guard (and the pytest session) is a child subreaper (prctl), so a process whose
  parent died is re-parented to it instead of to init, and stays findable;
- a tag in the environment: a process started with TAG=value carries it in /proc/PID/environ
  (chromium's and PostgreSQL's children overwrite that area for their process titles, but they are
  descendants). Tags let a test stop exactly what one of its starts left behind."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

RUN_TAG = "GONGKAI_TEST_RUN"  # set by the guard for everything the run starts (PostgreSQL, pytest)
GROUP_TAG = "GONGKAI_TEST_GROUP"  # set by a test for what one of its starts may leave behind
WATCHED = ("temporal-test-server", "temporal", "gongkai", "postgres", "chromium")
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    state: str
    command: str

    @property
    def kind(self) -> str:
        return kind_of(self.command)

    def __str__(self) -> str:
        return f"{self.pid} ({self.kind}) {self.command[:120]}"


def kind_of(command: str) -> str:
    argv0 = command.split(" ", 1)[0]
    name = argv0.rsplit("/", 1)[-1]
    if name.startswith("temporal-test-server"):
        return "temporal-test-server"
    if name == "temporal":
        return "temporal"
    if name in {"postgres", "postmaster", "pg_ctl"} or command.startswith("postgres:"):
        return "postgres"
    if "chrom" in name or "crashpad" in name or "headless_shell" in name:
        return "chromium"
    if name == "gongkai" or " shell.cli " in f"{command} " or command.endswith(" -m worker"):
        return "gongkai"
    if "playwright" in command:
        return "playwright"
    return name or "?"


def _read(pid: str) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile, or not ours to read
        return None
    fields = stat.rsplit(")", 1)[1].split()
    command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return Proc(int(pid), int(fields[1]), int(fields[2]), fields[0], command)


def table() -> dict[int, Proc]:
    """Every live process (zombies are dead: they only wait to be reaped)."""
    procs = (_read(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    return {p.pid: p for p in procs if p is not None and p.state != "Z"}


def _lineage(pid: int, procs: dict[int, Proc]) -> set[int]:
    """`pid` and its ancestors: the process looking, and what runs it, are never leftovers."""
    out = set()
    while pid in procs and pid not in out:
        out.add(pid)
        pid = procs[pid].ppid
    return out


def descendants(root: int, procs: dict[int, Proc] | None = None) -> list[Proc]:
    procs = table() if procs is None else procs
    children: dict[int, list[Proc]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child.pid)
    return out


def tagged(name: str, value: str, procs: dict[int, Proc] | None = None) -> list[Proc]:
    """Live processes started with `name=value` in their environment, not counting this one and
    its ancestors."""
    procs = table() if procs is None else procs
    mine = _lineage(os.getpid(), procs)
    entry = f"{name}={value}".encode()
    out = []
    for p in procs.values():
        if p.pid in mine:
            continue
        try:
            environ = Path(f"/proc/{p.pid}/environ").read_bytes()
        except OSError:
            continue
        if entry in environ.split(b"\0"):
            out.append(p)
    return out


def leftovers(root: int, tag: tuple[str, str] | None = None) -> list[Proc]:
    """What `root` started (its descendants, and anything carrying `tag`) that still runs."""
    procs = table()
    found = {p.pid: p for p in descendants(root, procs)}
    if tag:
        found.update((p.pid, p) for p in tagged(*tag, procs))
    for pid in _lineage(os.getpid(), procs):
        found.pop(pid, None)
    return sorted(found.values(), key=lambda p: p.pid)


def alive(pid: int) -> bool:
    proc = _read(str(pid))
    return proc is not None and proc.state != "Z"


def stop(procs: Iterable[Proc], grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL what did not stop within `grace` seconds. Each process is signalled by
    its id, and the group it leads too (a group leader's children that reset their environment)."""
    procs = list(procs)
    own_group = os.getpgrp()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in procs:
            try:
                if p.pgid == p.pid and p.pgid != own_group:
                    os.killpg(p.pgid, sig)
                else:
                    os.kill(p.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace
        while any(alive(p.pid) for p in procs) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling /proc for the exit: no signal tells us when another's child ends
        procs = [p for p in procs if alive(p.pid)]
        if not procs:
            return


def become_subreaper() -> bool:
    """Orphaned descendants come to this process instead of init (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def census(procs: Iterable[Proc], *, others: bool = True) -> str:
    counts = Counter(p.kind for p in procs)
    watched = ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in WATCHED)
    return watched + (f", other {sum(n for k, n in counts.items() if k not in WATCHED)}" if others else "")


def guard(command: Sequence[str]) -> int:
    """Run `command` as a subreaper with a fresh run tag; afterwards stop and report what it left.
    Returns the command's exit code, or 1 if it left anything running."""
    become_subreaper()
    run = uuid.uuid4().hex
    print(f"processes before the run (whole machine): {census(table().values(), others=False)}", flush=True)
    child = subprocess.Popen(command, env={**os.environ, RUN_TAG: run})
    try:
        code = child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        code = child.wait()
    left = leftovers(os.getpid(), (RUN_TAG, run))
    print(f"processes after the run (whole machine): {census(table().values(), others=False)}", flush=True)
    print(f"processes the run started and left running: {census(left)}", flush=True)
    if left:
        for p in left:
            print(f"  left running, now stopped: {p}", flush=True)
        stop(left)
        return code or 1
    return code


def main(argv: Sequence[str]) -> int:
    if len(argv) >= 2 and argv[0] == "guard" and argv[1] == "--":
        return guard(argv[2:])
    if argv == ["census"]:
        print(census(table().values()))
        return 0
    print("usage: python -m tests.support.processes guard -- COMMAND… | census", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
