"""Templates are checked for changes on disk only in development: elsewhere a page that includes a
template for each row (the supervisors' board) would stat its file for each row."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gongkai.settings import load_settings
from web.app import create_app


@pytest.mark.parametrize(("env", "checked"), [("production", False), ("development", True), ("test", True)])
async def test_templates_are_checked_for_changes_only_in_development(env, checked, db):
    app = create_app(replace(load_settings(), env=env), session_factory=db.session_factory, connect_temporal=False)
    jinja = app.template_engine.engine  # pyright: ignore[reportOptionalMemberAccess, reportAttributeAccessIssue]
    assert jinja.auto_reload is checked
    assert jinja.get_template("board.html") is jinja.get_template("board.html")  # and cached either way
