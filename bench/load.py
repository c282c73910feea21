"""Benchmark: the whole system under concurrent applicants and officers, then a reconciliation.

Starts the system as the README's run command does (`gongkai run`, on free ports, its state in a
temporary var dir; or targets a running one with --url), then for --minutes runs --clients
concurrent clients over HTTP, each a closed loop with a random think time (mean --think seconds):

- applicants: open /apply, file a request (multipart, CSRF token, an ID-document PNG), read the
  receipt's tracking and query codes, look the request up on /track;
- officers (--officers of the clients, `gkb_officer`; --heads of them `gkb_head`): log in, open
  /inbox, open a case, take the next action the case page offers them (claim, confirm receipt,
  accept, draft the reply, sign it off, send it, archive).

The public form is limited per client address (5 per 10 minutes, per web process). Every client
here comes from 127.0.0.1, so the benchmark raises the limit through its setting,
GONGKAI_INTAKE_LIMIT (printed); against --url the target's own setting applies and a 429 counts
as an error.

Prints, per kind of request: count, errors, business rejections, p50/p95/p99 latency and rate;
then reconciles: every tracking code issued is a row in SQL and a workflow in Temporal whose
state (stage, version) matches the row, and every officer action that succeeded is in the audit
trail (nothing lost).

    .venv/bin/python -m bench.load                          # 50 clients, 10 minutes
    .venv/bin/python -m bench.load --clients 20 --minutes 2
    .venv/bin/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/postgres  # 2 web, 2 workers
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 \\
        --database-url sqlite:///var/gongkai.db --temporal-address 127.0.0.1:7233
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.system import Cluster, System, machine, pct, table
from gongkai.clock import CST
from gongkai.settings import get_settings
from gongkai.temporal import connect
from models import AuditEvent, DisclosureRequest
from workflows.disclosure import DisclosureWorkflow

PASSWORD = "gongkai2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
ACTION_FORM = re.compile(r'class="action[^"]*" data-action="([a-z_]+)"')
CASE = re.compile(r'data-case="([A-Z]{2}-\d{4}-\d{6})"')
ERROR_TEXT = re.compile(r'id="(?:form-error|error-message)"[^>]*>([^<]*)<')
OFFICER_ORDER = ["claim", "confirm_receipt", "accept", "draft_reply", "send_reply", "archive"]
HEAD_ORDER = ["sign_off"]
AUDIT_ACTION = {"claim": "claimed", "confirm_receipt": "receipt_confirmed", "accept": "accepted",
                "draft_reply": "reply_drafted", "sign_off": "reply_signed_off", "send_reply": "reply_sent",
                "archive": "archived"}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    error_samples: Counter = field(default_factory=Counter)
    reject_samples: Counter = field(default_factory=Counter)
    receipts: list[tuple[str, str]] = field(default_factory=list)
    actions: list[tuple[str, str, str]] = field(default_factory=list)  # case, action, username

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        self.error_samples[f"{kind}: {what[:120]}"] += 1


class Clock:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    @property
    def running(self) -> bool:
        return time.monotonic() < self.end


class Spread(httpx.AsyncBaseTransport):
    """Each request to the next of several web processes, as a reverse proxy spreads them: a session
    begun on one goes on on the others (the session cookie is the host's, whatever the port)."""

    def __init__(self, bases: list[str]) -> None:
        self.ports = [httpx.URL(b).port for b in bases]
        self.turn = itertools.count()
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = self.ports[next(self.turn) % len(self.ports)]
        request.url = request.url.copy_with(port=port)
        request.headers["Host"] = f"{request.url.host}:{port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def client(base: str) -> httpx.AsyncClient:
    """A client of the system at `base`, or of several web processes (their URLs joined by commas)."""
    bases = base.split(",")
    return httpx.AsyncClient(base_url=bases[0], timeout=120, follow_redirects=False,
                             transport=Spread(bases) if len(bases) > 1 else None)


async def timed(stats: Stats, kind: str, call) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        r = await call
    except httpx.HTTPError as exc:
        stats.latencies[kind].append((time.perf_counter() - t0) * 1000)
        stats.error(kind, f"{type(exc).__name__} {exc}")
        return None
    stats.latencies[kind].append((time.perf_counter() - t0) * 1000)
    if r.status_code >= 500:
        stats.error(kind, f"HTTP {r.status_code}")
    return r


def _message(r: httpx.Response) -> str:
    m = ERROR_TEXT.search(r.text)
    return m.group(1).strip() if m else " ".join(r.text[:80].split())


async def think(rnd: random.Random, mean: float) -> None:
    if mean > 0:
        await asyncio.sleep(rnd.uniform(0, 2 * mean))


async def applicant(base: str, n: int, clock: Clock, stats: Stats, mean_think: float) -> None:
    rnd = random.Random(n)
    serial = itertools.count(1)
    async with client(base) as c:
        while clock.running:
            r = await timed(stats, "GET /apply", c.get("/apply"))
            if r is None or r.status_code != 200:
                if r is not None and r.status_code < 500:
                    stats.error("GET /apply", f"HTTP {r.status_code}")
                await think(rnd, mean_think)
                continue
            token, key = CSRF.search(r.text).group(1), re.search(r'name="form_key" value="([0-9a-f]+)"', r.text)
            await think(rnd, mean_think)
            form = {"_csrf_token": token, "form_key": key.group(1), "applicant_type": "natural_person",
                    "name": f"基准申请人{n}", "id_doc_type": "resident_id", "id_doc_number": "110101199001011234",
                    "phone": "13800000000", "email": f"bench{n}@example.cn", "address": "",
                    # a request of its own each time: the same applicant's same text within a day is
                    # the same request (gongkai/intake.py), answered with its first code
                    "description": f"申请公开本区2025年义务教育学校招生计划及其制定依据（第{next(serial)}份）",
                    "provision_form": "electronic", "provision_channel": "email"}
            r = await timed(stats, "POST /apply", c.post("/apply", data=form,
                                                          files={"attachments": ("id.png", PNG, "image/png")}))
            if r is None or r.status_code >= 500:
                await think(rnd, mean_think)
                continue
            code = re.search(r'id="tracking-code">([^<]+)<', r.text)
            query = re.search(r'id="query-code">([^<]+)<', r.text)
            if r.status_code != 200 or not code or not query:
                stats.error("POST /apply", f"HTTP {r.status_code} {_message(r)}")
                await think(rnd, mean_think)
                continue
            stats.receipts.append((code.group(1), query.group(1)))
            await think(rnd, mean_think)
            r = await timed(stats, "POST /track", c.post("/track", data={
                "_csrf_token": token, "code": code.group(1), "query_code": query.group(1)}))
            if r is not None and r.status_code < 500 and (r.status_code != 200 or code.group(1) not in r.text):
                stats.error("POST /track", f"HTTP {r.status_code} {_message(r)}")
            await think(rnd, mean_think)


def _action_form(action: str, token: str) -> dict[str, str]:
    today = datetime.now(CST).date().isoformat()
    extra = {"confirm_receipt": {"day": today}, "send_reply": {"day": today, "channel": "email"},
             "draft_reply": {"disposition": "GRANTED", "reason": "granted", "text": "经审查，予以公开。"},
             "sign_off": {"approve": "true", "comment": ""}}
    return {"_csrf_token": token, **extra.get(action, {})}


async def officer(base: str, username: str, index: int, peers: int, clock: Clock, stats: Stats,
                  mean_think: float) -> None:
    rnd = random.Random(1000 + index)
    order = HEAD_ORDER if username == "gkb_head" else OFFICER_ORDER
    inbox = "/inbox?stage=sign_off" if username == "gkb_head" else "/inbox"
    idle: dict[str, float] = {}  # cases with nothing for me to do, skipped for a while
    async with client(base) as c:
        page = await c.get("/login")
        r = await timed(stats, "POST /login", c.post("/login", data={
            "username": username, "password": PASSWORD, "_csrf_token": CSRF.search(page.text).group(1)}))
        if r is None or r.status_code not in (302, 303):
            stats.error("POST /login", f"{username} HTTP {r.status_code if r else '-'}")
            return
        while clock.running:
            r = await timed(stats, "GET /inbox", c.get(inbox))
            if r is None or r.status_code != 200:
                if r is not None and r.status_code < 500:
                    stats.error("GET /inbox", f"HTTP {r.status_code}")
                await think(rnd, mean_think)
                continue
            now = time.monotonic()
            cases = [k for k in dict.fromkeys(CASE.findall(r.text)) if idle.get(k, 0) < now]
            mine = [k for k in cases if int(k[-6:]) % peers == index]  # less contention between sessions
            if not cases:
                await think(rnd, mean_think)
                continue
            case = rnd.choice(mine or cases)
            await think(rnd, mean_think)
            r = await timed(stats, "GET /disclosure/{id}", c.get(f"/disclosure/{case}"))
            if r is None or r.status_code != 200:
                if r is not None and r.status_code < 500:
                    stats.error("GET /disclosure/{id}", f"HTTP {r.status_code}")
                continue
            offered = set(ACTION_FORM.findall(r.text))
            action = next((a for a in order if a in offered), None)
            if action is None:
                idle[case] = now + 30
                continue
            token = CSRF.search(r.text).group(1)
            await think(rnd, mean_think)
            kind = f"POST {action}"
            r = await timed(stats, kind, c.post(f"/disclosure/{case}/{action}", data=_action_form(action, token)))
            if r is None or r.status_code >= 500:
                pass
            elif r.status_code in (302, 303):
                stats.actions.append((case, action, username))
            elif r.status_code in (400, 409):  # the workflow refused (another session got there first)
                stats.rejected[kind] += 1
                stats.reject_samples[f"{kind}: {_message(r)}"] += 1
            else:
                stats.error(kind, f"HTTP {r.status_code} {_message(r)}")
            await think(rnd, mean_think)


async def run_clients(base: str, clients: int, officers: int, heads: int, seconds: float, mean_think: float,
                      grace: float) -> tuple[Stats, float]:
    stats, clock = Stats(), Clock(seconds)
    tasks = [asyncio.create_task(applicant(base, i, clock, stats, mean_think)) for i in range(clients - officers)]
    for j in range(officers):
        user = "gkb_head" if j < heads else "gkb_officer"
        tasks.append(asyncio.create_task(officer(base, user, j, officers, clock, stats, mean_think)))
    t0 = time.monotonic()
    done, pending = await asyncio.wait(tasks, timeout=seconds + grace)  # requests in flight finish
    for t in pending:
        t.cancel()
    for t in done:
        if t.exception():
            stats.error("client", f"{type(t.exception()).__name__} {t.exception()}")
    return stats, time.monotonic() - t0


def report(stats: Stats, elapsed: float) -> None:
    rows, total, errors = [], 0, 0
    for kind in sorted(stats.latencies):
        lat = stats.latencies[kind]
        total += len(lat)
        errors += stats.errors[kind]
        rows.append([kind, len(lat), stats.errors[kind], stats.rejected[kind], pct(lat, 50), pct(lat, 95),
                     pct(lat, 99), len(lat) / elapsed])
    rows.append(["all", total, errors, sum(stats.rejected.values()), "", "", "", total / elapsed])
    print(table(["request", "count", "errors", "rejected", "p50 ms", "p95 ms", "p99 ms", "per s"], rows,
                title=f"\nRequests over {elapsed:.0f} s"))
    print(f"error rate {errors / max(total, 1):.2%} ({errors} of {total}); "
          f"requests filed {len(stats.receipts)} ({len(stats.receipts) / elapsed:.2f}/s); "
          f"officer actions done {len(stats.actions)} ({len(stats.actions) / elapsed:.2f}/s)")
    for what, n in stats.error_samples.most_common(8):
        print(f"  error   x{n}: {what}")
    for what, n in stats.reject_samples.most_common(8):
        print(f"  refused x{n}: {what}")


async def reconcile(stats: Stats, database_url: str, temporal_address: str, namespace: str) -> bool:
    """Nothing lost: receipts ⇒ SQL rows and workflows that agree; actions ⇒ audit entries."""
    codes = [c for c, _ in stats.receipts]
    engine = create_engine(re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", database_url))
    with Session(engine) as s:
        rows = {r.id: (r.stage, r.version) for r in s.execute(
            select(DisclosureRequest.id, DisclosureRequest.stage, DisclosureRequest.version)).all()}
        audit = Counter((a, b, c) for a, b, c in s.execute(
            select(AuditEvent.case_id, AuditEvent.action, AuditEvent.actor)).all())
        online = s.execute(select(func.count()).select_from(DisclosureRequest).where(
            DisclosureRequest.intake_channel == "online")).scalar_one()
    engine.dispose()
    client = await connect(replace(get_settings(), temporal_namespace=namespace), temporal_address)
    sem = asyncio.Semaphore(16)
    cases = sorted(set(codes) | {case for case, _, _ in stats.actions})

    async def state(case: str):
        async with sem:
            try:
                return case, await client.get_workflow_handle(case).query(DisclosureWorkflow.current)
            except Exception as exc:  # noqa: BLE001 (reported below)
                return case, exc

    states = dict(await asyncio.gather(*(state(c) for c in cases)))
    missing_sql = [c for c in codes if c not in rows]
    missing_wf = [c for c in cases if isinstance(states[c], Exception)]
    mismatched = [c for c in cases if c in rows and not isinstance(states[c], Exception)
                  and (states[c].stage, states[c].version) != rows[c]]
    wanted = Counter((case, AUDIT_ACTION[a], user) for case, a, user in stats.actions)
    lost = {k: n - audit[k] for k, n in wanted.items() if audit[k] < n}
    duplicated = len(codes) - len(set(codes))
    print(table(["check", "expected", "found", "missing"], [
        ["tracking codes issued → SQL rows", len(codes), len(codes) - len(missing_sql), len(missing_sql)],
        ["cases touched → workflows", len(cases), len(cases) - len(missing_wf), len(missing_wf)],
        ["workflow state = SQL row (stage, version)", len(cases) - len(missing_wf),
         len(cases) - len(missing_wf) - len(mismatched), len(mismatched)],
        ["officer actions → audit entries", sum(wanted.values()), sum(wanted.values()) - sum(lost.values()),
         sum(lost.values())],
        ["tracking codes issued twice", 0, duplicated, ""],
    ], title="\nReconciliation"))
    print(f"online requests in SQL: {online} (includes any filed before the run and any whose receipt "
          f"the client did not get)")
    for label, items in (("missing in SQL", missing_sql), ("no workflow", missing_wf), ("mismatch", mismatched),
                         ("lost actions", list(lost))):
        if items:
            print(f"  {label}: {items[:10]}")
    for c in mismatched[:5]:
        print(f"    {c}: workflow {states[c].stage} v{states[c].version}, SQL {rows[c][0]} v{rows[c][1]}")
    return not (missing_sql or missing_wf or mismatched or lost or duplicated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--officers", type=int, help="how many of the clients are officers (default a fifth)")
    parser.add_argument("--heads", type=int, help="how many of the officers sign off as gkb_head (default a fifth)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a client's requests, s")
    parser.add_argument("--url", help="a running system instead of starting one")
    parser.add_argument("--database-url", help="its database, for the reconciliation (with --url)")
    parser.add_argument("--temporal-address", help="its Temporal, for the reconciliation (with --url)")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--intake-limit", type=int, default=1_000_000,
                        help="GONGKAI_INTAKE_LIMIT for the system started here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir")
    parser.add_argument("--postgres", metavar="SERVER_URL", help=(
        "start the production layout instead of `gongkai run`: a new database on this PostgreSQL server, "
        "a Temporal server, --workers worker and --webs web processes (bench.system.Cluster)"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--webs", type=int, default=2)
    args = parser.parse_args()
    officers = args.officers if args.officers is not None else max(1, args.clients // 5)
    heads = args.heads if args.heads is not None else max(1, officers // 5)
    if not 0 < officers < args.clients or not 0 < heads < officers:
        parser.error("need at least one applicant, one officer and one head")
    system = cluster = None
    if args.url:
        base, database_url, temporal = args.url.rstrip("/"), args.database_url, args.temporal_address
    elif args.postgres:
        t0 = time.monotonic()
        cluster = Cluster.start(args.postgres, args.workers, args.webs,
                                {"GONGKAI_INTAKE_LIMIT": str(args.intake_limit)})
        print(f"{args.workers} workers and {args.webs} web processes ({', '.join(cluster.webs)}) on one PostgreSQL "
              f"database and one Temporal ({cluster.temporal_address}), up in {time.monotonic() - t0:.0f} s; "
              f"every client spreads its requests over the web processes; GONGKAI_INTAKE_LIMIT={args.intake_limit}")
        base, database_url, temporal = ",".join(cluster.webs), cluster.database_url, cluster.temporal_address
    else:
        system = System.create({"GONGKAI_INTAKE_LIMIT": str(args.intake_limit)})
        print(f"starting `gongkai run` in {system.var_dir} (GONGKAI_INTAKE_LIMIT={args.intake_limit} per "
              f"600 s per client address; the default, 5, would refuse all but 5 requests from this one address)")
        t0 = time.monotonic()
        system.start()
        print(f"system up in {time.monotonic() - t0:.0f} s: web {system.url}, Temporal {system.temporal_address}")
        base, database_url, temporal = system.url, system.database_url, system.temporal_address
    try:
        print(f"{args.clients} clients ({args.clients - officers} applicants, {officers - heads} × gkb_officer, "
              f"{heads} × gkb_head) for {args.minutes:g} min, mean think time {args.think:g} s")
        stats, elapsed = asyncio.run(run_clients(base, args.clients, officers, heads, args.minutes * 60, args.think,
                                                 grace=180))
        report(stats, elapsed)
        ok = True
        if database_url and temporal:
            time.sleep(2)  # let projections still in flight land
            ok = asyncio.run(reconcile(stats, database_url, temporal, args.namespace))
        else:
            print("\nno --database-url/--temporal-address: reconciliation skipped")
        print(f"\nmachine: {machine()}; load generator, web, worker and Temporal share it")
        print("RECONCILED: nothing lost" if ok else "NOT RECONCILED: see above")
    finally:
        if cluster:
            cluster.stop()
        if system:
            system.stop()
            if not args.keep:
                import shutil

                shutil.rmtree(system.var_dir, ignore_errors=True)
            else:
                print(f"state kept in {system.var_dir}")


if __name__ == "__main__":
    main()
