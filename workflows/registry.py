"""Every workflow the worker runs. Each process adds its workflow class here."""

from __future__ import annotations

WORKFLOWS: list[type] = []
