"""case views: the `state` column of every case row holds its process's typed view

The case kit makes the `state` column the workflow's view (contracts.<process>), which pages read
typed. Rows written before it lack what the view now carries: a policy case its title, issuance,
department and website clock; an incident its lead department, title and times (the workflow kept
them in its input). They come from the row's own columns. Disclosure rows already have their view's
shape; they gain closed_at. A running case's next projection writes the whole view again anyway;
this is for the cases that no workflow will project again (closed ones) and for the pages until then.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = models.base.UTCDateTime(timezone=True)


def _iso(value):
    return value.isoformat() if value is not None else None


def _rewrite(table, columns, extra):
    conn = op.get_bind()
    t = sa.table(table, sa.column("id", sa.String), sa.column("state", sa.JSON), *columns)
    for row in conn.execute(sa.select(t)).mappings().all():
        if not row["state"]:
            continue  # not projected yet (a request's intake row): its first projection writes the view
        state = dict(row["state"])
        state.update({k: v for k, v in extra(row).items() if k not in state})
        conn.execute(t.update().where(t.c.id == row["id"]).values(state=state))


def upgrade() -> None:
    conn = op.get_bind()
    deadline = sa.table("deadline", sa.column("id", sa.String), sa.column("state", sa.String))
    open_clocks = {i for (i,) in conn.execute(sa.select(deadline.c.id).where(
        deadline.c.state.in_(("running", "paused"))))}
    _rewrite("policy_case", [sa.column(c) for c in ("title", "issuance", "department_id", "normative",
                                                        "doc_number")],
             lambda r: {"title": r["title"], "issuance": r["issuance"], "department_id": r["department_id"],
                        "normative": bool(r["normative"]), "doc_number": r["doc_number"],
                        "website_open": f"{r['id']}/website" in open_clocks})
    _rewrite("incident_case", [sa.column(c) for c in ("title", "location", "grade", "source", "department_id")]
             + [sa.column("co_departments", sa.JSON)]
             + [sa.column(c, UTC) for c in ("occurred_at", "detected_at", "closed_at")],
             lambda r: {"title": r["title"], "location": r["location"], "grade": r["grade"], "source": r["source"],
                        "department_id": r["department_id"], "co_departments": list(r["co_departments"] or []),
                        "occurred_at": _iso(r["occurred_at"]), "detected_at": _iso(r["detected_at"]),
                        "closed_at": _iso(r["closed_at"])})
    _rewrite("disclosure_request", [sa.column("closed_at", UTC)], lambda r: {"closed_at": _iso(r["closed_at"])})


def downgrade() -> None:
    pass  # the added keys are ignored by the code before the kit
