"""The reconciliation run's payloads (what a case reports and SQL holds are in gongkai.reconcile)."""


from dataclasses import dataclass, field

from gongkai.reconcile import Drift


@dataclass
class ReconcileInput:
    verify_after_seconds: float = 2.0  # wait before checking a repaired case again
    verify_attempts: int = 5
    batch: int = 1000  # open cases asked per run, about; more are checked in slices, a slice a run
    every_seconds: int = 900  # the schedule's interval: which slice a run takes follows from its time


@dataclass
class ScanInput:
    workflow_ids: list[str] | None = None  # None: the open case workflows on the task queue, in slices
    batch: int = 0  # at most about this many per run (0: all of them)
    turn: int = 0  # which slice: the run's turn


@dataclass
class ScanResult:
    checked: int
    open: int = 0  # open case workflows found (the checked ones are a slice of them)
    slice: int = 0
    slices: int = 1
    drifts: list[Drift] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)  # workflow ids moving while scanned
    unreachable: list[str] = field(default_factory=list)  # workflow ids whose query failed


@dataclass
class ReconcileReport:
    run_id: str
    checked: int
    found: int
    repaired: int
    unresolved: list[str] = field(default_factory=list)  # case ids still drifting
    problems: dict[str, list[str]] = field(default_factory=dict)  # case id: what was found
    open: int = 0  # open case workflows; `checked` is the slice of them this run took
    slice: int = 0
    slices: int = 1
    unreachable: int = 0  # asked but did not answer (closed meanwhile, or the query timed out)
