"""Pages read a case as its typed view: a field the view does not have is an error in the template
(a rename breaks the page and its tests), while an optional value a context lacks stays empty."""

from __future__ import annotations

import pytest
from jinja2 import Environment, UndefinedError

from contracts.disclosure import DisclosureView
from gongkai.disclosure import Stage
from web.render import ViewUndefined


def test_a_missing_field_of_a_view_is_an_error_and_an_optional_value_is_empty():
    env = Environment(undefined=ViewUndefined, autoescape=True)
    view = DisclosureView(Stage.REVIEW, 3)
    assert env.from_string("{{ v.stage }}|{{ form.name }}|{{ nobody }}").render(v=view, form={}) == "review||"
    for template in ("{{ v.extension.statu }}", "{% if v.reply_duedate %}x{% endif %}", "{{ v.stage_zh }}"):
        with pytest.raises(UndefinedError):
            env.from_string(template).render(v=view)
