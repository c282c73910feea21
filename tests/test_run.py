"""`gongkai run` (what `make run` starts): the login page is served, Ctrl-C stops everything,
and a second start keeps what the first one had (accounts, Temporal state)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

pytestmark = pytest.mark.slow  # `make run` end to end: a Temporal dev server, the worker and the web


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "shell.cli", "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                pytest.fail("gongkai run exited:\n" + "".join(lines[-40:]))
            continue
        lines.append(line)
        if line.startswith("=" * 20) and any("is running:" in seen for seen in lines):
            return proc, lines  # the end of the banner
    proc.kill()
    pytest.fail("no banner within 180 s:\n" + "".join(lines[-40:]))


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


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
    proc, lines = _start(env)
    url = next(line.split("is running:")[1].strip() for line in lines if "is running:" in line)
    assert url == f"http://127.0.0.1:{ports['web']}/login"
    assert any("admin" in line for line in lines)  # demo logins printed
    page = urllib.request.urlopen(url, timeout=10).read().decode()
    assert "登录" in page
    # Something durable in Temporal: a workflow waiting on a long timer.
    client = await Client.connect(env["GONGKAI_TEMPORAL_ADDRESS"])
    wf_id = f"persist-{uuid.uuid4()}"
    await client.start_workflow("NoSuchWorkflowYet", id=wf_id, task_queue="persist-check")
    assert _stop(proc) == 0
    assert (tmp_path / "var" / "temporal.db").exists() and (tmp_path / "var" / "gongkai.db").exists()
    assert (tmp_path / "var" / "secret").stat().st_mode & 0o777 == 0o600  # generated on the first start

    proc, lines = _start(env)
    try:
        client = await Client.connect(env["GONGKAI_TEMPORAL_ADDRESS"])
        described = await client.get_workflow_handle(wf_id).describe()
        assert described.status.name == "RUNNING"
        assert "登录" in urllib.request.urlopen(url, timeout=10).read().decode()
    finally:
        assert _stop(proc) == 0
