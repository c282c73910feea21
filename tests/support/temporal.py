"""Temporal servers for tests: the time-skipping test server (optionally started at a chosen
instant under libfaketime, so a test can live through a past holiday) and the dev server.

Each server is started through a small wrapper that tags it (GROUP_TAG in its environment) and
then execs it, so the process the SDK stops is the server itself, and a server whose start the SDK
gave up on is found and stopped instead of running on."""

from __future__ import annotations

import glob
import shutil
import stat
import sys
import tempfile
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from gongkai.settings import get_settings
from gongkai.temporal import secured
from tests.support.processes import GROUP_TAG, stop, tagged

BIN = Path(sys.executable).parent
TEST_SERVER = BIN / "temporal-test-server"
DEV_SERVER = BIN / "temporal"


def _wrapper(binary: Path, tag: str, start: datetime | None = None) -> Path:
    """A script that tags `binary` and execs it (no fork: stopping the script's process stops the
    server); with `start`, the server's clock starts there (then moves).

    libfaketime is preloaded into the server itself: the `faketime` command forks, so stopping the
    process the SDK started (faketime) left the server running, one orphan per test."""
    env = f"{GROUP_TAG}={tag}"
    if start is not None:
        if not glob.glob("/usr/lib/*/faketime/libfaketime.so.1"):
            raise RuntimeError("libfaketime is required (apt-get install faketime; `make test` installs it)")
        stamp = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        env += f" TZ=UTC LD_PRELOAD='/usr/$LIB/faketime/libfaketime.so.1' FAKETIME='@{stamp}'"
    wrapper = Path(tempfile.mkdtemp(prefix="gk-ts-")) / binary.name
    wrapper.write_text(f'#!/bin/sh\nexport {env}\nexec {binary} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper


async def time_skipping(start: datetime | None = None, attempts: int = 3) -> WorkflowEnvironment:
    tag = uuid.uuid4().hex
    path = _wrapper(TEST_SERVER, tag, start)
    try:
        for attempt in range(1, attempts + 1):
            try:
                return _secured(await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(path)))
            except RuntimeError as exc:  # the SDK waits 5 s for the server; a busy machine can need more
                stop(tagged(GROUP_TAG, tag))  # a server that came up too late is not left running
                if attempt == attempts or "did not start" not in str(exc):
                    raise
        raise AssertionError("unreachable")
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)  # the server has exec'd it, or never will


async def dev_server(db_file: str | None = None, port: int | None = None) -> WorkflowEnvironment:
    """The dev server; with a db file its state survives a restart (on the same port, so
    workers and clients reconnect)."""
    extra = ["--sqlite-pragma", "journal_mode=wal", "--log-level", "error"]
    if db_file:
        extra += ["--db-filename", db_file]
    tag = uuid.uuid4().hex
    path = _wrapper(DEV_SERVER, tag)
    try:
        return _secured(await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(path), dev_server_extra_args=extra, ui=False, port=port,
        ))
    except BaseException:
        stop(tagged(GROUP_TAG, tag))
        raise
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def _secured(env: WorkflowEnvironment) -> WorkflowEnvironment:
    """The environment's client as every process here connects: payloads encrypted, actors signed
    (its workers take the checking side from it). The tests' proofs last a year: skipped time runs
    the workflows' clock ahead of the web's."""
    env._client = secured(env.client, replace(get_settings(), actor_proof_seconds=366 * 86400))  # noqa: SLF001
    return env

