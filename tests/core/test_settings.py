"""Settings read from the environment."""

from __future__ import annotations

from gongkai.settings import load_settings


def test_intake_limit_defaults_and_environment(monkeypatch):
    monkeypatch.delenv("GONGKAI_INTAKE_LIMIT", raising=False)
    monkeypatch.delenv("GONGKAI_INTAKE_WINDOW_SECONDS", raising=False)
    s = load_settings()
    assert (s.intake_limit, s.intake_window) == (5, 600.0)
    monkeypatch.setenv("GONGKAI_INTAKE_LIMIT", "2")
    monkeypatch.setenv("GONGKAI_INTAKE_WINDOW_SECONDS", "60")
    s = load_settings()
    assert (s.intake_limit, s.intake_window) == (2, 60.0)  # enforced in SQL: tests/web/test_rate_limits.py
