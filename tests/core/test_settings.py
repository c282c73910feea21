"""Settings read from the environment."""

from __future__ import annotations

import pytest

from gongkai.errors import TooManyAttempts
from gongkai.settings import load_settings
from web.disclosure.public import RateLimiter


def test_intake_limit_defaults_and_environment(monkeypatch):
    monkeypatch.delenv("GONGKAI_INTAKE_LIMIT", raising=False)
    monkeypatch.delenv("GONGKAI_INTAKE_WINDOW_SECONDS", raising=False)
    s = load_settings()
    assert (s.intake_limit, s.intake_window) == (5, 600.0)
    monkeypatch.setenv("GONGKAI_INTAKE_LIMIT", "2")
    monkeypatch.setenv("GONGKAI_INTAKE_WINDOW_SECONDS", "60")
    s = load_settings()
    limiter = RateLimiter(s.intake_limit, s.intake_window)
    limiter.check("203.0.113.9")
    limiter.check("203.0.113.9")
    with pytest.raises(TooManyAttempts, match="1分钟"):
        limiter.check("203.0.113.9")
    limiter.check("203.0.113.10")  # per client address


def test_secure_cookies_are_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("GONGKAI_SECURE_COOKIES", raising=False)
    assert load_settings().secure_cookies is False
    monkeypatch.setenv("GONGKAI_SECURE_COOKIES", "1")
    assert load_settings().secure_cookies is True
