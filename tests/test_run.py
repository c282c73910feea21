"""`gongkai run` (what `make run` starts): the login page is served, Ctrl-C stops everything,
and a second start keeps what the first one had (accounts, Temporal state). Whatever happens in a
test, every process a start made is stopped (finding 10 of issue 13)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from temporalio.client import Client

from tests.support import processes

RUN = [sys.executable, "-m", "shell.cli", "run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Started:
    """One start of a system and every process it made: each carries the start's tag."""

    proc: subprocess.Popen
    tag: str
    lines: list[str] = field(default_factory=list)
    output: queue.Queue[str | None] | None = None

    def stop(self) -> tuple[int, list[processes.Proc]]:
        """Ctrl-C, as a person stops it; then whatever of its processes still runs is stopped and
        returned (a clean stop leaves nothing)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        left = processes.tagged(processes.GROUP_TAG, self.tag)
        processes.stop(left)
        if self.output is not None:  # what it said while stopping, for a failure's message
            self.lines += iter(lambda: _next(self.output, 0.2), None)
        return self.proc.returncode, left


def _lines(proc: subprocess.Popen) -> queue.Queue[str | None]:
    """The process's output line by line, then None once it exits, from threads, so the wait for
    a line can time out. (Its output ends only when its children have closed it too.)"""
    out: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.put(line)

    def wait() -> None:
        proc.wait()
        out.put(None)

    for target in (pump, wait):
        threading.Thread(target=target, daemon=True).start()
    return out


def _next(output: queue.Queue[str | None], wait: float = 1.0) -> str | None:
    try:
        return output.get(timeout=wait)
    except queue.Empty:
        return None


@contextmanager
def running(env: dict[str, str], command: Sequence[str] = RUN, timeout: float = 180) -> Iterator[Started]:
    """`gongkai run` until its banner; stopped on leaving, also when the start or the test fails."""
    started = Started(subprocess.Popen(command, env={**env, processes.GROUP_TAG: (tag := uuid.uuid4().hex)},
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       start_new_session=True), tag)
    try:
        output, deadline = _lines(started.proc), time.monotonic() + timeout
        started.output = output
        while True:
            try:
                line = output.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no banner within {timeout:.0f} s:\n" + "".join(started.lines[-40:]))
            if line is None:  # what it wrote last may still be on its way from the pipe
                started.lines += iter(lambda: _next(output), None)
                pytest.fail("the start exited:\n" + "".join(started.lines[-40:]))
            started.lines.append(line)
            if line.startswith("=" * 20) and any("is running:" in seen for seen in started.lines):
                break  # the end of the banner
        yield started
    finally:
        started.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow  # `make run` end to end: a Temporal dev server, the worker and the web
async def test_run_serves_login_stops_on_ctrl_c_and_keeps_state(tmp_path: Path):
    ports = {name: _free_port() for name in ("web", "temporal", "ui")}
    env = {
        **os.environ, "GONGKAI_VAR_DIR": str(tmp_path / "var"), "GONGKAI_PORT": str(ports["web"]),
        "GONGKAI_TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}", "GONGKAI_EMBEDDED_TEMPORAL": "1",
        "GONGKAI_TEMPORAL_UI_PORT": str(ports["ui"]), "GONGKAI_LOG_FORMAT": "json",
        "GONGKAI_ENV": "development",  # as `make run` runs: its own secret, demo data
    }
    env.pop("GONGKAI_DATABASE_URL", None)
    env.pop("GONGKAI_SECRET_KEY", None)
    with running(env) as system:
        url = next(line.split("is running:")[1].strip() for line in system.lines if "is running:" in line)
        assert url == f"http://127.0.0.1:{ports['web']}/login"
        assert any("admin" in line for line in system.lines)  # demo logins printed
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "登录" in page
        # Something durable in Temporal: a workflow waiting on a long timer.
        client = await Client.connect(env["GONGKAI_TEMPORAL_ADDRESS"])
        wf_id = f"persist-{uuid.uuid4()}"
        await client.start_workflow("NoSuchWorkflowYet", id=wf_id, task_queue="persist-check")
        stopped = system.stop()
        assert stopped == (0, []), "".join(system.lines[-40:])  # Ctrl-C stopped the worker, the web, Temporal
    var = tmp_path / "var"
    assert (var / "temporal.db").exists() and (var / "gongkai.db").exists()
    # var/ holds the database and ID copies: owner-only (finding 9 of issue 13)
    assert [_mode(p) for p in (var, var / "gongkai.db", var / "temporal.db", var / "secret")] == [
        0o700, 0o600, 0o600, 0o600]  # the secret: generated on the first start

    with running(env) as system:
        client = await Client.connect(env["GONGKAI_TEMPORAL_ADDRESS"])
        described = await client.get_workflow_handle(wf_id).describe()
        assert described.status.name == "RUNNING"
        assert "登录" in urllib.request.urlopen(url, timeout=10).read().decode()
        stopped = system.stop()
        assert stopped == (0, []), "".join(system.lines[-40:])


# A start that fails as `gongkai run` can: its children (in their own sessions, as the runner starts
# them) outlive it. The test reads the child's id from the first line.
ABANDONS_A_CHILD = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
print(child.pid, flush=True)
if sys.argv[1] == "exit":
    sys.exit(3)
import time; time.sleep(600)
"""


@pytest.mark.parametrize("how", ["exit", "hang"])
def test_a_start_that_fails_leaves_no_process(how):
    with pytest.raises(pytest.fail.Exception) as failed:
        with running(dict(os.environ), [sys.executable, "-c", ABANDONS_A_CHILD, how], timeout=3) as _:
            pass
    child = int(failed.value.msg.splitlines()[1])
    assert "exited" in failed.value.msg if how == "exit" else "no banner" in failed.value.msg
    assert not processes.alive(child)


def test_a_test_that_fails_after_the_start_leaves_no_process():
    banner = "print('Gongkai is running: x'); print('=' * 64, flush=True); import time; time.sleep(600)"
    with pytest.raises(AssertionError, match="a failing check"):
        with running(dict(os.environ), [sys.executable, "-c", banner], timeout=30) as system:
            assert system.proc.poll() is None
            raise AssertionError("a failing check")
    assert system.proc.poll() is not None and not processes.tagged(processes.GROUP_TAG, system.tag)
