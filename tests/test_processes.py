"""The check `make test` ends with (finding 10 of issue 13): a run's processes are counted before
and after, and what the run started and left running is reported, stopped, and fails the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import processes

ROOT = Path(__file__).resolve().parents[1]


def _guard(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.support.processes", "guard", "--", *command], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_a_clean_run_keeps_its_exit_code_and_reports_nothing_left():
    done = _guard("sh", "-c", "exit 5")
    assert done.returncode == 5
    assert "processes before the run (whole machine): temporal-test-server " in done.stdout
    assert "processes the run started and left running: temporal-test-server 0, temporal 0, gongkai 0, " \
           "postgres 0, chromium 0, other 0" in done.stdout


def test_a_process_the_run_left_is_stopped_and_fails_the_run():
    done = _guard("sh", "-c", "sleep 600 & echo $!")  # the shell exits; its child lives on, orphaned
    left = int(done.stdout.split("\n", 2)[1])
    assert done.returncode == 1
    assert "left running: temporal-test-server 0, temporal 0, gongkai 0, postgres 0, chromium 0, other 1" \
        in done.stdout
    assert f"left running, now stopped: {left} (" in done.stdout
    assert not processes.alive(left)


LOSES_ITS_SERVER = """
import asyncio, os
from tests.support.temporal import time_skipping
env = asyncio.run(time_skipping())
print(env.client.service_client.config.target_host, flush=True)
os._exit(1)  # a test process killed mid-run: nothing shuts the server down
"""


def test_a_temporal_test_server_whose_test_process_died_is_found_and_stopped():
    done = _guard(sys.executable, "-c", LOSES_ITS_SERVER)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "left running: temporal-test-server 1, temporal 0, gongkai 0, postgres 0, chromium 0, other 0" \
        in done.stdout
    assert "(temporal-test-server)" in done.stdout


def test_kinds_of_processes():
    assert processes.kind_of("/x/.venv/bin/temporal-test-server 39951") == "temporal-test-server"
    assert processes.kind_of("/x/.venv/bin/temporal server start-dev --port 1") == "temporal"
    assert processes.kind_of("/x/.venv/bin/python -m shell.cli worker") == "gongkai"
    assert processes.kind_of("/x/.venv/bin/python -m worker") == "gongkai"
    assert processes.kind_of("postgres: checkpointer") == "postgres"
    assert processes.kind_of("/usr/lib/postgresql/15/bin/postgres -D /tmp/x") == "postgres"
    assert processes.kind_of("/usr/lib/chromium/chromium --type=renderer") == "chromium"
    assert processes.kind_of("/usr/lib/chromium/chrome_crashpad_handler --monitor-self") == "chromium"
