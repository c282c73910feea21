"""`gongkai run`: the whole system on its embedded default. Applies migrations, seeds the first
start, starts the Temporal dev server (state in var/temporal.db), the worker and the web, prints
where to go, and stops everything cleanly on Ctrl-C. Running it again keeps every case and timer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from gongkai.logs import configure_logging, get_logger
from gongkai.settings import get_settings
from gongkai.varfiles import owner_only_process, private_dir

log = get_logger("run")


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _wait_port(host: str, port: int, what: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(host, port):
            return
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}; see the log above")
        time.sleep(0.3)
    raise SystemExit(f"{what} did not open {host}:{port} within {timeout:.0f}s")


def _temporal_binary() -> str:
    candidate = Path(sys.executable).parent / "temporal"
    return str(candidate) if candidate.exists() else "temporal"


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM stops everything as Ctrl-C does (children are in their own sessions)


def run_all() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    owner_only_process()  # the database, Temporal's state and the children's files
    private_dir(settings.var_dir)

    from gongkai.database import migrate
    from shell.seed import seed_sync

    migrate()
    seed_sync()

    procs: list[tuple[str, subprocess.Popen]] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        host, _, port = settings.temporal_address.rpartition(":")
        if settings.embedded_temporal:
            if _port_open(host, int(port)):
                raise SystemExit(f"port {port} is taken: is another Temporal or `make run` running?")
            cmd = [
                _temporal_binary(), "server", "start-dev",
                "--db-filename", str(settings.var_dir / "temporal.db"),
                "--sqlite-pragma", "journal_mode=wal",
                "--ip", host, "--port", port, "--ui-port", str(settings.temporal_ui_port),
                "--namespace", settings.temporal_namespace, "--log-level", "warn",
                # Payloads are encrypted: the UI opens them through the web's codec endpoint (admins only).
                "--ui-codec-endpoint", f"{settings.base_url}/codec",
            ]
            procs.append(("temporal", subprocess.Popen(cmd, env=env, start_new_session=True)))
            _wait_port(host, int(port), "Temporal dev server", procs[-1][1])
            log.info("temporal_started", address=settings.temporal_address,
                     ui=f"http://{host}:{settings.temporal_ui_port}")
        procs.append(("worker", subprocess.Popen([sys.executable, "-m", "shell.cli", "worker"], env=env,
                                                 start_new_session=True)))
        procs.append(("web", subprocess.Popen([sys.executable, "-m", "shell.cli", "web"], env=env,
                                              start_new_session=True)))
        web_host = "127.0.0.1" if settings.host in {"0.0.0.0", ""} else settings.host
        _wait_port(web_host, settings.port, "web", procs[-1][1])
        if settings.demo_data:
            # First start only: a few cases at different stages (it does nothing once any exists).
            demo = subprocess.run([sys.executable, "-m", "shell.cli", "demo"], env=env, timeout=300)
            if demo.returncode != 0:
                log.warning("demo_data_failed", code=demo.returncode)
        _banner(settings)
        # Running: Ctrl-C and SIGTERM set a flag instead of raising KeyboardInterrupt wherever the
        # loop happens to be. Raised inside Popen.poll(), it left the Popen's wait lock held, and the
        # stop then waited on that lock for ever (the children were never stopped).
        stopping = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopping.set())
        while not stopping.wait(0.5):
            for name, proc in procs:
                if proc.poll() is not None:
                    log.error("process_exited", process=name, code=proc.returncode)
                    return 1
        print("\n正在停止 Gongkai … (stopping)", flush=True)
        return 0
    except KeyboardInterrupt:  # Ctrl-C while starting
        print("\n正在停止 Gongkai … (stopping)", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C does not cut the stop short
            signal.signal(sig, signal.SIG_IGN)
        _stop(procs)


def _stop(procs: list[tuple[str, subprocess.Popen]], grace: float = 15) -> None:
    """The web and the worker together, then the Temporal server (they talk to it while stopping);
    each waits at most `grace` seconds, then is killed. Every wait has a limit."""
    apps = [(n, p) for n, p in procs if n != "temporal"]
    for group in (apps, [(n, p) for n, p in procs if n == "temporal"]):
        for _name, proc in group:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, proc in group:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process_killed", process=name)
                proc.kill()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    log.error("process_not_reaped", process=name, pid=proc.pid)
            log.info("process_stopped", process=name)


def _banner(settings) -> None:
    from shell.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

    lines = [
        "",
        "=" * 64,
        f"  Gongkai 公开 is running:  {settings.base_url}/login",
    ]
    if settings.embedded_temporal:
        host = settings.temporal_address.rpartition(":")[0]
        lines.append(f"  Temporal web UI:          http://{host}:{settings.temporal_ui_port}")
    if settings.demo_data:
        lines.append(f"  Demo accounts (password {DEMO_PASSWORD}):")
        for username, name, role, _dept in DEMO_ACCOUNTS:
            lines.append(f"    {username:<14} {role:<12} {name}")
    lines += ["  Ctrl-C stops everything; state is kept in " + str(settings.var_dir), "=" * 64, ""]
    print("\n".join(lines), flush=True)
