"""Fault tests' machinery: the worker and the web as separate processes (`python -m worker`,
`python -m web.serve`, configured by GONGKAI_* variables like production), and a driver that takes
disclosure requests through their updates the way a client should, retrying an update with the
same update id (so a retried update is the same update) while the worker or the database is away."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from gongkai.clock import CST
from gongkai.roles import Actor

ROOT = Path(__file__).resolve().parents[2]


def activity_attempt(event) -> int | None:
    """The attempt number of an activity in a history event: a regular activity's start, or a
    local activity's marker (our activities run as local activities since the patch)."""
    if event.HasField("activity_task_started_event_attributes"):
        return event.activity_task_started_event_attributes.attempt
    if event.HasField("marker_recorded_event_attributes"):
        marker = event.marker_recorded_event_attributes
        if marker.marker_name == "core_local_activity":
            return json.loads(marker.details["data"].payloads[0].data)["attempt"]
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkerProcess:
    """`python -m worker` in its own process group; its JSON log goes to a file."""

    MODULE = "worker"

    def __init__(self, log_path: Path, *, database_url: str, address: str, queue: str, var_dir: Path,
                 reconcile_interval: int = 0, **extra: str) -> None:
        self.log_path = log_path
        self.env = {
            **os.environ, "GONGKAI_DATABASE_URL": database_url, "GONGKAI_TEMPORAL_ADDRESS": address,
            "GONGKAI_TASK_QUEUE": queue, "GONGKAI_VAR_DIR": str(var_dir), "GONGKAI_LOG_FORMAT": "json",
            "GONGKAI_ENV": "test", "GONGKAI_RECONCILE_INTERVAL": str(reconcile_interval), "PYTHONUNBUFFERED": "1",
            **extra,
        }
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    async def started(self, offset: int) -> bool:
        return any(e.get("event") == "worker_started" for e in self.events(offset))

    async def start(self, timeout: float = 90) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("a") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", self.MODULE], cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.MODULE} exited with {self.proc.returncode}:\n{self.tail()}")
            if await self.started(offset):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.MODULE} not started within {timeout:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no activity completion, nothing flushed."""
        assert self.proc
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def events(self, offset: int = 0) -> list[dict]:
        if not self.log_path.exists():
            return []
        out = []
        with self.log_path.open() as fh:
            fh.seek(offset)
            for line in fh:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def tail(self, n: int = 40) -> str:
        return "".join(self.log_path.read_text().splitlines(keepends=True)[-n:]) if self.log_path.exists() else ""


class WebProcess(WorkerProcess):
    """`python -m web.serve` (what `gongkai web` runs) on a free port of its own."""

    MODULE = "web.serve"

    def __init__(self, log_path: Path, **options) -> None:
        self.port = free_port()
        super().__init__(log_path, GONGKAI_PORT=str(self.port), GONGKAI_HOST="127.0.0.1", **options)
        self.url = f"http://127.0.0.1:{self.port}"

    async def started(self, offset: int) -> bool:
        import httpx

        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=2) as c:
                return (await c.get("/login")).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class DriveStats:
    steps_done: int = 0
    retries: int = 0
    in_flight: set[str] = field(default_factory=set)  # update ids awaiting their result
    latencies: dict[str, float] = field(default_factory=dict)  # update id: seconds to its result


async def update(client: Client, case_id: str, name: str, args: list, stats: DriveStats,
                 *, attempt_timeout: float = 120) -> object:
    """One update, retried with the same id until it has a result. A rejection (the workflow's
    validator said no) is never retried: it fails the test."""
    update_id = f"{case_id}/{name}"
    handle = client.get_workflow_handle(case_id)
    started = time.monotonic()
    stats.in_flight.add(update_id)
    try:
        while True:
            try:
                result = await asyncio.wait_for(handle.execute_update(name, args=args, id=update_id),
                                                attempt_timeout)
                break
            except WorkflowUpdateFailedError:
                raise
            except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
                stats.retries += 1
                await asyncio.sleep(0.5)
    finally:
        stats.in_flight.discard(update_id)
    stats.latencies[update_id] = time.monotonic() - started
    stats.steps_done += 1
    return result


def today() -> str:
    return datetime.now(CST).date().isoformat()


def full_path(actors: dict[str, Actor]) -> list[tuple[str, list]]:
    """Registration to archive, with a supervision notice on the way."""
    officer, head = actors["jyj_officer"], actors["gkb_head"]
    return [
        ("claim", [officer]),
        ("accept", [officer]),
        ("supervise", [actors["duban"], "请加快办理"]),
        ("draft_reply", [officer, "GRANTED", "granted", "经审查，予以公开。"]),
        ("sign_off", [head, True, ""]),
        ("send_reply", [officer, today(), "email"]),
        ("archive", [officer]),
    ]


def withdrawal_path(actors: dict[str, Actor]) -> list[tuple[str, list]]:
    officer = actors["jyj_officer"]
    return [
        ("claim", [officer]),
        ("accept", [officer]),
        ("supervise", [actors["duban"], "请加快办理"]),
        ("withdraw", [officer, "申请人电话撤回"]),
    ]


PROJECTED = {  # the audit action each update's projection writes (supervise writes its own entry)
    "claim": "claimed", "accept": "accepted", "draft_reply": "reply_drafted", "sign_off": "reply_signed_off",
    "send_reply": "reply_sent", "archive": "archived", "withdraw": "withdrawn",
}


async def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


def since(t0: float) -> float:
    return round(time.monotonic() - t0, 1)

