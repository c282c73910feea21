"""Recorded workflow histories: written by the workflow tests when GONGKAI_RECORD_HISTORIES is set,
replayed by tests/workflows/test_replay.py on today's code. Histories are kept by the code era that
recorded them (a folder each), so a change that breaks running cases of any era fails a test."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from temporalio.worker import Replayer

from gongkai.settings import get_settings
from gongkai.temporal import client_options

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
CURRENT_ERA = "2026-12-one-step"  # each step one activity; -sealed: encrypted payloads; 2026-12: the case kit;
# 2026-11: regular activities


def record(history_json: str, process: str, name: str) -> None:
    if os.environ.get("GONGKAI_RECORD_HISTORIES"):
        folder = HISTORIES / CURRENT_ERA
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{process}_{name}.json").write_text(history_json)


def replayer(workflows: Sequence[type]) -> Replayer:
    """A replayer that opens encrypted histories (with the tests' key) and plain ones alike."""
    return Replayer(workflows=workflows, data_converter=client_options(get_settings())["data_converter"])
