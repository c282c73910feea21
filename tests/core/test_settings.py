"""Settings read from the environment."""

from __future__ import annotations

import pytest

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


def test_secure_cookies_are_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("GONGKAI_SECURE_COOKIES", raising=False)
    assert load_settings().secure_cookies is False
    monkeypatch.setenv("GONGKAI_SECURE_COOKIES", "1")
    assert load_settings().secure_cookies is True


def test_the_first_start_generates_an_owner_only_secret_and_keeps_it(monkeypatch, tmp_path):
    from gongkai.settings import DEV_SECRET, SettingsError

    monkeypatch.setenv("GONGKAI_ENV", "development")
    monkeypatch.setenv("GONGKAI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GONGKAI_SECRET_KEY", raising=False)
    first = load_settings().secret_key
    path = tmp_path / "var" / "secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert first != DEV_SECRET and len(first) >= 40
    assert load_settings().secret_key == first  # the next start, and every other process, reads it
    # The published development secret is refused outside the tests, whatever the environment says.
    monkeypatch.setenv("GONGKAI_SECRET_KEY", DEV_SECRET)
    with pytest.raises(SettingsError, match="published development secret"):
        load_settings()
    monkeypatch.setenv("GONGKAI_ENV", "test")
    assert load_settings().secret_key == DEV_SECRET
    monkeypatch.setenv("GONGKAI_ENV", "production")
    monkeypatch.setenv("GONGKAI_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="16"):
        load_settings()
