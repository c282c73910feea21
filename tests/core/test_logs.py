"""Logs are JSON off a terminal, with the bound case id, workflow id and acting user."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import logging
from gongkai.logs import bind, configure_logging, get_logger
configure_logging("INFO", "auto")
bind(case_id="DR-2026-000123", workflow_id="DR-2026-000123", actor="jyj_officer")
get_logger("test").info("reply_sent", channel="post")
logging.getLogger("temporalio.worker").warning("from the standard library")
"""


def test_json_logs_off_a_terminal_carry_the_bound_context():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True).stderr
    records = [json.loads(line) for line in out.strip().splitlines()]
    first, second = records
    assert first["event"] == "reply_sent" and first["channel"] == "post" and first["level"] == "info"
    assert first["case_id"] == "DR-2026-000123" and first["actor"] == "jyj_officer"
    assert first["workflow_id"] == "DR-2026-000123" and "timestamp" in first
    assert second["event"] == "from the standard library" and second["case_id"] == "DR-2026-000123"
