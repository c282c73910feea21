"""Where a case is shown: the one mapping the pages, the inbox and the messages sent outside the
browser link by."""

from __future__ import annotations

CASE_PATHS = {"disclosure": "/disclosure/", "policy": "/policy/", "incident": "/incidents/",
              "publication": "/publication/"}
PREFIX_PROCESS = {"DR": "disclosure", "PD": "policy", "IN": "incident", "PI": "publication"}  # business-key prefixes


def case_url(process: str | None, case_id: str) -> str:
    """The path of a case of any process."""
    process = process or PREFIX_PROCESS.get(case_id[:2], "disclosure")
    return CASE_PATHS.get(process, "/disclosure/") + case_id
