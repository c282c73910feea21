"""Temporal servers for tests: the time-skipping test server (optionally started at a chosen
instant under libfaketime, so a test can live through a past holiday) and the dev server."""

from __future__ import annotations

import glob
import stat
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from gongkai.settings import get_settings
from gongkai.temporal import secured

BIN = Path(sys.executable).parent
TEST_SERVER = BIN / "temporal-test-server"
DEV_SERVER = BIN / "temporal"


def _faked_server(start: datetime) -> Path:
    """A wrapper that runs the test server with its clock starting at `start` (then moving).

    libfaketime is preloaded into the server itself: the `faketime` command forks, so stopping the
    process the SDK started (faketime) left the server running, one orphan per test."""
    if not glob.glob("/usr/lib/*/faketime/libfaketime.so.1"):
        raise RuntimeError("libfaketime is required (apt-get install faketime; `make test` installs it)")
    stamp = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    wrapper = Path(tempfile.mkdtemp(prefix="gk-ts-")) / "temporal-test-server"
    wrapper.write_text("#!/bin/sh\n"
                       f"export TZ=UTC LD_PRELOAD='/usr/$LIB/faketime/libfaketime.so.1' FAKETIME='@{stamp}'\n"
                       f'exec {TEST_SERVER} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper


async def time_skipping(start: datetime | None = None, attempts: int = 3) -> WorkflowEnvironment:
    path = _faked_server(start) if start else TEST_SERVER
    for attempt in range(1, attempts + 1):
        try:
            return _secured(await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(path)))
        except RuntimeError as exc:  # the SDK waits 5 s for the server; a busy machine can need more
            if attempt == attempts or "did not start" not in str(exc):
                raise
    raise AssertionError("unreachable")


async def dev_server(db_file: str | None = None, port: int | None = None) -> WorkflowEnvironment:
    """The dev server; with a db file its state survives a restart (on the same port, so
    workers and clients reconnect)."""
    extra = ["--sqlite-pragma", "journal_mode=wal", "--log-level", "error"]
    if db_file:
        extra += ["--db-filename", db_file]
    return _secured(await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER), dev_server_extra_args=extra, ui=False, port=port,
    ))


def _secured(env: WorkflowEnvironment) -> WorkflowEnvironment:
    """The environment's client as every process here connects: payloads encrypted, actors signed
    (its workers take the checking side from it). The tests' proofs last a year: skipped time runs
    the workflows' clock ahead of the web's."""
    env._client = secured(env.client, replace(get_settings(), actor_proof_seconds=366 * 86400))  # noqa: SLF001
    return env

