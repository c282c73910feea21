"""Reconciliation: what differs between an open case workflow and its SQL projection. Pure code:
the workflow reports what it last projected (CaseState, its `projection_state` query), SQL what
it holds (RowState); `diff` says what drifted and how the workflow should re-project it."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime

REPROJECT_SIGNAL = "reproject"
PROJECTION_QUERY = "projection_state"
PROCESSES = {"DisclosureWorkflow": "disclosure", "PolicyWorkflow": "policy", "IncidentWorkflow": "incident",
             "PublicationWorkflow": "publication"}


@dataclass
class DeadlineState:
    deadline_id: str
    due_at: datetime | None
    paused: bool


@dataclass
class CaseState:
    """What a case workflow last wrote to SQL (its `projection_state` query)."""

    case_id: str
    process: str
    stage: str
    version: int
    task_keys: list[str] = field(default_factory=list)  # open stage tasks of the last projection
    deadlines: list[DeadlineState] = field(default_factory=list)  # open deadlines, as last scheduled
    settling: bool = False  # a projection or a deadline write is under way: SQL may lag, legitimately


@dataclass
class DeadlineRow:
    deadline_id: str
    state: str  # running, paused, met, late, cancelled
    due_at: datetime | None


@dataclass
class RowState:
    """What SQL holds for one case; `version` is None when the case row is missing."""

    case_id: str
    version: int | None
    stage: str | None
    task_keys: list[str] = field(default_factory=list)  # open stage tasks
    deadlines: list[DeadlineRow] = field(default_factory=list)


@dataclass
class Repair:
    """The reproject signal's payload: what the case workflow should write again."""

    reason: str
    row_missing: bool = False
    deadlines: list[str] = field(default_factory=list)  # deadline ids to schedule again


@dataclass
class Drift:
    case_id: str
    workflow_id: str
    process: str
    problems: list[str]
    repair: Repair


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    return a == b if a is None or b is None else abs((a - b).total_seconds()) < 1e-3


def diff(case: CaseState, row: RowState, workflow_id: str) -> Drift | None:
    """The drift between a settled workflow and its SQL rows, or None when they agree. A row
    ahead of the workflow (a projection landed after the query) is not drift."""
    if case.settling or (row.version is not None and row.version > case.version):
        return None
    problems: list[str] = []
    if row.version is None:
        problems.append("case row missing")
    else:
        if row.version < case.version:
            problems.append(f"case row at version {row.version}, workflow at {case.version}")
        if row.stage != case.stage:
            problems.append(f"case row stage {row.stage}, workflow {case.stage}")
    missing = sorted(set(case.task_keys) - set(row.task_keys))
    extra = sorted(set(row.task_keys) - set(case.task_keys))
    if missing:
        problems.append("open task missing: " + ", ".join(missing))
    if extra:
        problems.append("stale open task: " + ", ".join(extra))
    rows = {d.deadline_id: d for d in row.deadlines}
    redo: list[str] = []
    for d in case.deadlines:
        r = rows.get(d.deadline_id)
        wanted = "paused" if d.paused else "running"
        if r is None:
            problems.append(f"deadline row missing: {d.deadline_id}")
        elif r.state != wanted:
            problems.append(f"deadline {d.deadline_id} is {r.state}, workflow {wanted}")
        elif not _same_instant(r.due_at, d.due_at):
            problems.append(f"deadline {d.deadline_id} due {r.due_at}, workflow {d.due_at}")
        else:
            continue
        redo.append(d.deadline_id)
    if not problems:
        return None
    reason = "；".join(problems)[:300]
    return Drift(case.case_id, workflow_id, case.process, problems,
                 Repair(reason, row_missing=row.version is None, deadlines=redo))


def run_slice(workflow_ids: list[str], batch: int, turn: int) -> tuple[list[str], int, int]:
    """The open workflows one run checks, as (ids, slice, slices). All of them when they fit in
    `batch` (0: no limit); else one of ceil(n / batch) slices, chosen by a stable hash of the id
    and taken in turn, so each run asks about `batch` cases or so (a query on a workflow out of the
    worker's cache replays its history) and every case is checked once every `slices` runs."""
    if batch <= 0 or len(workflow_ids) <= batch:
        return list(workflow_ids), 0, 1
    slices = -(-len(workflow_ids) // batch)
    index = turn % slices
    return [w for w in workflow_ids if zlib.crc32(w.encode()) % slices == index], index, slices
