"""Publication-item activities: the projection's columns (the kit writes the rest)."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.case import CaseActivities
from contracts.case import CaseProjection, CaseStep, StepResult
from contracts.publication import PublicationView
from gongkai.publication import Stage, month_of
from models import PublicationItem


class PublicationActivities(CaseActivities):
    PROCESS = "publication"
    MODEL = PublicationItem
    VIEW = PublicationView

    def row(self, view: PublicationView) -> dict[str, Any]:
        done = view.stage is Stage.DONE and view.published
        return {"title": view.title, "kind": view.kind, "catalogue_id": view.catalogue_id,
                "department_id": view.department_id, "stage": view.stage.value, "channels": list(view.channels),
                "published_channels": len(view.published), "triggered_at": view.triggered_at,
                "trigger_month": month_of(view.triggered_at) if view.triggered_at else 0,
                "published_at": max(r.at for r in view.published) if done else None,
                "outcome": view.outcome, "source": view.source, "external_key": view.external_key}

    @activity.defn(name="publication.project")
    async def project(self, p: CaseProjection) -> int | None:
        return await self.write(p)

    @activity.defn(name="publication.step")
    async def step(self, step: CaseStep) -> StepResult:
        return await self.run_step(step)
