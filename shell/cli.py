"""The `gongkai` command: deadline calculator, and the processes of the system."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, time
from pathlib import Path

from gongkai.clock import CST, ClockKind, ClockSpec, Due, compute
from gongkai.errors import GongkaiError
from gongkai.explain import explain
from gongkai.statutory import BASIS_ZH
from gongkai.varfiles import owner_only_process
from gongkai.workdays import REGIONS, WorkdayCalendar


def _calendar(region: str, source: str):
    if source in {"auto", "db"}:
        from gongkai.calendar_store import load_calendar_sync

        cal = load_calendar_sync(region, required=(source == "db"))
        if cal is not None:
            return cal, "database"
    from gongkai.workdays import bundled_calendar

    return bundled_calendar(region), "bundled data"


BASIS_EN = {"statutory": f"statutory holidays only, no make-up days ({BASIS_ZH})",
            "regional": "the national arrangement only", "weekends": "weekends only"}


def _warn_provisional(due: Due, cal: WorkdayCalendar, lang: str, *, holidays: bool) -> None:
    """On stderr (stdout's last line stays the date): what a provisional year was counted with, and
    (when the derivation is not printed anyway) the holidays skipped in it."""
    for year in due.provisional_years:
        print(f"PROVISIONAL: no official arrangement for {year}; counted with "
              f"{BASIS_EN[cal.provisional_basis(year) or 'weekends']}", file=sys.stderr)
    if holidays:
        for step, line in zip(due.steps, explain(due, lang), strict=True):
            if step.code == "holiday" and step.day and step.day.year in due.provisional_years:
                print(line, file=sys.stderr)


def cmd_deadline(args: argparse.Namespace) -> int:
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        print(f"error: START must be an ISO date (YYYY-MM-DD), got {args.start!r}", file=sys.stderr)
        return 2
    if args.n < 0:
        print("error: N must be zero or more", file=sys.stderr)
        return 2
    try:
        cal, source = _calendar(args.region, args.calendar)
        spec = ClockSpec(
            kind=ClockKind(args.kind), amount=args.n, start=datetime.combine(start, time(9), CST),
        )
        due = compute(spec, cal)
        if due.provisional and args.strict:
            cal.day_info(date(due.provisional_years[0], 1, 1), strict=True)
    except GongkaiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if args.explain:
        print(f"{args.n} {args.kind.replace('_', ' ')} after {start.isoformat()}; "
              f"calendar {REGIONS[args.region]} ({args.region}) from {source}.")
        for line in explain(due, args.lang):
            print(line)
    if due.provisional:
        _warn_provisional(due, cal, args.lang, holidays=not args.explain)
    print(due.last_day.isoformat())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from shell.runner import run_all

    return run_all()


def cmd_worker(args: argparse.Namespace) -> int:
    import asyncio

    from worker import main as worker_main

    asyncio.run(worker_main())
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from web.serve import serve

    serve()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from gongkai.database import migrate

    migrate()
    return 0


def cmd_rehash(args: argparse.Namespace) -> int:
    from gongkai.database import make_sync_engine
    from gongkai.lookup import LookupKeys, rehash
    from gongkai.settings import get_settings

    settings = get_settings()
    engine = make_sync_engine(settings)
    with engine.begin() as conn:
        written = rehash(conn, LookupKeys.of(settings.secret_key))
    engine.dispose()
    print(f"requests rehashed: {written}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from shell.seed import seed_sync

    seed_sync()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio

    from gongkai.database import make_async_engine, make_session_factory
    from gongkai.logs import configure_logging
    from gongkai.settings import get_settings
    from shell.demo import create_demo
    from worker import connect

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)

    async def go() -> int:
        engine = make_async_engine(settings)
        try:
            return await create_demo(await connect(settings), make_session_factory(engine), settings.task_queue)
        finally:
            await engine.dispose()

    made = asyncio.run(go())
    print(f"demo cases created: {made}")
    return 0


def cmd_recompute(args: argparse.Namespace) -> int:
    """Tells every workflow with an open deadline to recompute it, as saving a calendar does: after
    an upgrade that changes how working days are counted (e.g. provisional years' statutory holidays)."""
    import asyncio

    from gongkai.database import make_async_engine, make_session_factory
    from gongkai.roles import SYSTEM_ADMIN
    from gongkai.settings import get_settings
    from web.recompute import apply_calendar
    from worker import connect

    settings = get_settings()

    async def go() -> int:
        engine = make_async_engine(settings)
        try:
            async with make_session_factory(engine)() as session:
                applied = await apply_calendar(await connect(settings), session, SYSTEM_ADMIN)
                return applied.cases
        finally:
            await engine.dispose()

    print(f"workflows told to recompute their deadlines: {asyncio.run(go())}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from gongkai.backup import backup
    from gongkai.settings import get_settings

    try:
        manifest = backup(get_settings(), Path(args.file).resolve())
    except GongkaiError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    uploads = sum(1 for name in manifest.files if name.startswith("uploads/"))
    print(f"backup written: {args.file} (database, Temporal state: {manifest.temporal}, {uploads} uploaded files)")
    print("the installation secret is not in it: keep var/secret (or GONGKAI_SECRET_KEY) apart, safely")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from gongkai.backup import restore
    from gongkai.keys import SECRET_FILE
    from gongkai.settings import ROOT, get_settings

    # Before the settings are read: read without a secret, they would make a new one, which cannot
    # open what the backup's workflows hold.
    var_dir = Path(os.environ.get("GONGKAI_VAR_DIR", ROOT / "var")).resolve()
    if not os.environ.get("GONGKAI_SECRET_KEY") and not (var_dir / SECRET_FILE).exists() \
            and os.environ.get("GONGKAI_ENV") != "test":
        print(f"no installation secret: copy var/secret of the backed-up installation to {var_dir / SECRET_FILE} "
              "or set GONGKAI_SECRET_KEY, then restore", file=sys.stderr)
        return 2
    try:
        manifest = restore(get_settings(), Path(args.file).resolve())
    except GongkaiError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"restored from {args.file} (made {manifest.created_at}); start it with `gongkai run`: "
          "reconciliation brings every case's row up to its workflow")
    return 0


def cmd_move_database(args: argparse.Namespace) -> int:
    from gongkai.move import move
    from gongkai.settings import get_settings

    try:
        copied = move(get_settings(), args.url)
    except GongkaiError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"copied {sum(copied.values())} rows in {len(copied)} tables; every table counted on both sides")
    print("now set GONGKAI_DATABASE_URL to the new database for the worker and the web, and start them")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gongkai", description="Gongkai (公开) open-government workflow")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("deadline", help="compute a due date: START plus N working days")
    p.add_argument("start", help="start date, ISO (YYYY-MM-DD); the start day itself is not counted")
    p.add_argument("n", type=int, help="number of units (working days by default)")
    p.add_argument("--region", choices=sorted(REGIONS), default="cn")
    p.add_argument("--kind", choices=[k.value for k in ClockKind if k is not ClockKind.HOURS],
                   default="working_days")
    p.add_argument("--explain", action="store_true", help="print the derivation")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.add_argument("--calendar", choices=["auto", "db", "bundled"], default="auto",
                   help="where the holiday arrangements come from (auto: database if set up)")
    p.add_argument("--strict", action="store_true", help="fail instead of a provisional result")
    p.set_defaults(func=cmd_deadline)
    p = sub.add_parser("backup", help="write a snapshot of this installation (SQLite, embedded Temporal, uploads)")
    p.add_argument("file", help="the backup file to write (.tar.gz); never overwritten")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a snapshot into this (empty) installation")
    p.add_argument("file", help="a file `gongkai backup` wrote")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("move-database", help="copy this installation's SQLite database into a new PostgreSQL one")
    p.add_argument("url", help="the new, empty PostgreSQL database: postgresql://user@host:port/name")
    p.set_defaults(func=cmd_move_database)
    for name, func, text in [
        ("run", cmd_run, "run everything: Temporal dev server, worker and web"),
        ("worker", cmd_worker, "run the Temporal worker"),
        ("web", cmd_web, "run the web application"),
        ("migrate", cmd_migrate, "apply database migrations"),
        ("seed", cmd_seed, "load calendars and demo accounts (idempotent)"),
        ("rehash", cmd_rehash, "rewrite the lookup hashes of applicants' numbers with the current secret"),
        ("demo", cmd_demo, "create demo cases at different stages (only into an empty system)"),
        ("recompute", cmd_recompute, "recompute every open deadline (after an upgrade that counts days differently)"),
    ]:
        sub.add_parser(name, help=text).set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "deadline":  # the calculator writes nothing (and runs inside tests)
        owner_only_process()  # var/ holds ID copies and the database: nothing we create is for other accounts
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
