"""Incident activities: the projection's columns (the kit writes the rest, notifications too)."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.case import CaseActivities
from contracts.case import CaseProjection
from contracts.incident import IncidentView
from models import IncidentCase


class IncidentActivities(CaseActivities):
    PROCESS = "incident"
    MODEL = IncidentCase
    VIEW = IncidentView

    def row(self, view: IncidentView) -> dict[str, Any]:
        return {"title": view.title, "grade": view.grade, "source": view.source, "location": view.location,
                "department_id": view.department_id, "co_departments": list(view.co_departments),
                "occurred_at": view.occurred_at, "detected_at": view.detected_at, "stage": view.stage.value,
                "triage": view.triage, "first_release_at": view.releases[0].released_at if view.releases else None,
                "press_at": view.press.held_at if view.press else None, "releases": len(view.releases),
                "late_at_registration": bool(view.late), "closed_at": view.closed_at}

    @activity.defn(name="incident.project")
    async def project(self, p: CaseProjection) -> int | None:
        return await self.write(p)
