"""Workflow code calls nothing non-deterministic.

Production runs workflows outside Temporal's sandbox (worker.workflow_runner), so the sandbox's
call checks only guard the paths the workflow tests execute. This reads every workflow module
and the gongkai modules they import, on every path, for calls that differ between a run and its
replay: the clock, randomness, ids, the environment, files, sleeping."""

from __future__ import annotations

import ast
from pathlib import Path

from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from gongkai.settings import load_settings
from worker import workflow_runner

ROOT = Path(__file__).resolve().parents[2]

# attribute calls that read the clock, randomness, ids or the outside world, unless on `workflow.`
FORBIDDEN_ATTRIBUTES = {
    "now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter", "uuid1", "uuid4",
    "random", "randint", "randrange", "choice", "shuffle", "sleep", "getenv", "urandom",
    "open", "read_text", "read_bytes", "write_text", "write_bytes",
}
FORBIDDEN_NAMES = {"open", "ZoneInfo", "input", "print"}
# Readers of files shipped with the code. The shipped national profile is read once per process, by
# workflows too (a case started before profiles runs by it): like the code, it changes only with a
# deployment. The calendar files are read only outside workflows: calendar arithmetic runs in
# deadline.schedule and is recorded in history.
LOADERS = {("gongkai/profiles.py", "shipped_profile"), ("gongkai/workdays.py", "load_arrangement_file")}
CALENDAR_LOADERS = ("load_arrangement_file", "bundled_arrangements", "bundled_calendar")


def workflow_modules() -> list[Path]:
    """workflows/*.py and every gongkai and contracts module they import, transitively (the action
    tables in contracts run in the workflows' validators)."""
    def path_of(module: str) -> Path | None:
        for candidate in (ROOT / (module.replace(".", "/") + ".py"), ROOT / module.replace(".", "/") / "__init__.py"):
            if candidate.exists():
                return candidate
        return None

    seen: set[Path] = set()
    todo = sorted((ROOT / "workflows").glob("*.py"))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            ours = isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
                "gongkai", "workflows", "contracts"}
            if ours:
                for name in [node.module, *(f"{node.module}.{a.name}" for a in node.names)]:
                    if (found := path_of(name)) is not None:
                        todo.append(found)
    return sorted(seen)


def offending_calls(path: Path, root: Path = ROOT) -> list[str]:
    relative = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (relative, node.name) in LOADERS:
            skipped.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTRIBUTES:
                if not (isinstance(func.value, ast.Name) and func.value.id == "workflow"):
                    found.append(f"{relative}:{node.lineno} .{func.attr}()")
            elif isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
                found.append(f"{relative}:{node.lineno} {func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append(f"{relative}:{node.lineno} .environ")
    return found


def test_the_scan_covers_the_workflows_and_their_rules():
    names = {p.relative_to(ROOT).as_posix() for p in workflow_modules()}
    assert {"workflows/disclosure.py", "workflows/policy.py", "workflows/incident.py", "workflows/deadline.py",
            "workflows/kit.py", "contracts/disclosure.py", "gongkai/actions.py", "gongkai/clock.py",
            "gongkai/workdays.py", "gongkai/disclosure.py"} <= names
    assert not any(n.startswith("activities/") or n.startswith("web/") for n in names)


def test_the_scan_finds_a_non_deterministic_call(tmp_path):
    sample = tmp_path / "workflows" / "sample.py"
    sample.parent.mkdir()
    sample.write_text("import datetime, os, uuid\nfrom temporalio import workflow\n"
                      "def f():\n    workflow.now(); workflow.uuid4()\n"
                      "    return datetime.datetime.now(), uuid.uuid4(), open('x'), os.environ\n", encoding="utf-8")
    assert sorted(offending_calls(sample, tmp_path)) == [
        "workflows/sample.py:5 .environ", "workflows/sample.py:5 .now()", "workflows/sample.py:5 .uuid4()",
        "workflows/sample.py:5 open()"]


def test_workflow_code_calls_nothing_non_deterministic():
    found = [call for path in workflow_modules() for call in offending_calls(path)]
    assert found == []


def test_workflows_do_not_read_the_calendar_files():
    for path in workflow_modules():
        if path.name == "workdays.py":
            continue
        text = path.read_text(encoding="utf-8")
        for loader in CALENDAR_LOADERS:
            assert loader not in text, f"{path.name} calls {loader}"


def test_production_runs_unsandboxed_unless_asked(monkeypatch):
    monkeypatch.delenv("GONGKAI_WORKFLOW_SANDBOX", raising=False)
    assert isinstance(workflow_runner(load_settings()), UnsandboxedWorkflowRunner)
    monkeypatch.setenv("GONGKAI_WORKFLOW_SANDBOX", "1")
    assert isinstance(workflow_runner(load_settings()), SandboxedWorkflowRunner)
